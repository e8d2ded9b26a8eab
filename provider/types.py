"""Value types shared by every provider and by their callers (g4f-compatible shapes)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Messages = list[dict[str, Any]]
"""A chat history, e.g. ``[{"role": "user", "content": "Hi"}]``; a content may also be a list of OpenAI-style
parts (text and ``image_url``), see ``provider.content``."""

_DATA_URI = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,", re.ASCII)


@dataclass(frozen=True, repr=False)
class ImageData:
    """An image's bytes and MIME type (taken from the bytes themselves by the providers here)."""

    data: bytes
    mime: str

    def data_uri(self) -> str:
        """``data:<mime>;base64,...``: what g4f-style callers expect in ``ImageResponse.images``."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    @classmethod
    def from_data_uri(cls, uri: str) -> ImageData | None:
        """The bytes of a base64 ``data:`` URI; None for anything else (an http URL, a plain data URI).

        Raises ``ValueError`` (``binascii.Error``) for base64 that strict decoding refuses.
        """
        match = _DATA_URI.match(uri) if isinstance(uri, str) else None
        if match is None:
            return None
        data = base64.b64decode(memoryview(uri.encode("ascii"))[match.end() :], validate=True)
        return cls(data, match.group("mime") or "application/octet-stream")

    def __repr__(self) -> str:
        return f"ImageData(<{len(self.data)} bytes>, mime={self.mime!r})"


class ImageResponse:
    """A generated image, yielded by a provider instead of text.

    Two views of the same images, each built once, on first use, from the other:

    - ``images``: ``data:`` URIs, as g4f's ``ImageResponse`` has them (a single string is wrapped in a list);
    - ``files``: ``ImageData`` (bytes and MIME type), which the providers here fill directly, so a caller
      that wants the bytes never decodes what was just encoded.

    ``alt`` is the prompt that produced it. Instances are immutable.
    """

    __slots__ = ("_files", "_images", "alt")

    _files: list[ImageData] | None
    _images: list[str] | None
    alt: str

    def __init__(
        self, images: str | Sequence[str] | None = None, alt: str = "", *, files: Sequence[ImageData] | None = None
    ) -> None:
        if images is None and files is None:
            images = []
        uris = None if images is None else [images] if isinstance(images, str) else list(images)
        object.__setattr__(self, "_images", uris)
        object.__setattr__(self, "_files", None if files is None else list(files))
        object.__setattr__(self, "alt", alt)

    @property
    def images(self) -> list[str]:
        if self._images is None:
            object.__setattr__(self, "_images", [file.data_uri() for file in self._files or []])
        assert self._images is not None
        return self._images

    @property
    def files(self) -> list[ImageData]:
        """The images as bytes; URIs that are not base64 ``data:`` URIs (http URLs) have none and are left out.

        Raises ``ValueError`` when a data URI holds invalid base64.
        """
        if self._files is None:
            decoded = (ImageData.from_data_uri(uri) for uri in self._images or [])
            object.__setattr__(self, "_files", [file for file in decoded if file is not None])
        assert self._files is not None
        return self._files

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ImageResponse is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImageResponse):
            return NotImplemented
        return self.alt == other.alt and self.images == other.images

    __hash__ = None  # type: ignore[assignment]  # mutable-looking lists inside: unhashable, like the dataclass was

    def __repr__(self) -> str:
        """Keep logs readable: an image can be megabytes."""
        if self._files is not None:
            sizes = ", ".join(f"<{len(file.data)} bytes {file.mime}>" for file in self._files)
        else:
            sizes = ", ".join(f"<{len(uri)} chars>" for uri in self._images or [])
        return f"ImageResponse(images=[{sizes}], alt={self.alt!r})"



@dataclass(frozen=True)
class Usage:
    """The tokens one chat answer cost, as the server counted them; yielded after the answer's text.

    g4f's providers yield a ``Usage`` the same way. A server that counts nothing yields none: a caller
    that needs a figure estimates it (see ``Usage.estimate``).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def estimate(cls, prompt_chars: int, completion_chars: int) -> Usage:
        """About four characters a token: OpenAI's rule of thumb for English text."""
        prompt, completion = -(-prompt_chars // 4), -(-completion_chars // 4)
        return cls(prompt, completion, prompt + completion)

    @classmethod
    def from_json(cls, data: object) -> Usage | None:
        """An OpenAI ``usage`` object, or None for anything else (LiteLLM sends ``{}`` or null at times)."""
        if not isinstance(data, dict):
            return None
        counts = [data.get(name) for name in ("prompt_tokens", "completion_tokens", "total_tokens")]
        prompt, completion, total = (value if isinstance(value, int) and value >= 0 else 0 for value in counts)
        total = total or prompt + completion
        return cls(prompt, completion, total) if total else None
