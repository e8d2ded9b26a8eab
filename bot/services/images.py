"""Image generation: the provider's data URI decoded and checked against Telegram's photo limits."""

from __future__ import annotations

import asyncio
import binascii
import io
import logging
import re
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from provider import AsyncGeneratorProvider, ImageResponse, ProviderResponseError

logger = logging.getLogger(__name__)

# What Telegram accepts through sendPhoto; anything else must go out as a document.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20

_DATA_URI_RE = re.compile(r"^data:(?P<mime>image/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(?P<data>.*)$", re.S)
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class ImageDataError(ProviderResponseError):
    """The provider answered, but what it gave is no usable image."""


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes | bytearray  # a bytearray from decode_image: decoded in place, never copied whole
    filename: str
    width: int
    height: int
    as_photo: bool


class ImageService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        *,
        provider_options: dict[str, Any] | None = None,
        slots: asyncio.Semaphore | None = None,
        model: str | None = None,
    ) -> None:
        self._provider = provider
        self._options = provider_options or {}
        self._slots = slots or asyncio.Semaphore(32)
        self._model = model or provider.image_model

    @property
    def available(self) -> bool:
        return self._model is not None

    async def draw(self, prompt: str) -> GeneratedImage:
        assert self._model is not None, "check `available` first"
        messages = [{"role": "user", "content": prompt}]
        # Closed here, not whenever the event loop gets to it: its frames hold the data URI (4/3 of the
        # image), which must be gone before the picture is uploaded (BENCHMARKS.md, measure 4).
        async with self._slots, aclosing(
            self._provider.create_async_generator(  # type: ignore[type-var]  # typed AsyncIterator; an async generator
                self._model, messages, **self._options
            )
        ) as chunks:
            async for chunk in chunks:
                if isinstance(chunk, ImageResponse) and chunk.images:
                    return decode_image(chunk.images[0])
        raise ImageDataError("the model returned no image")


def decode_image(data_uri: str) -> GeneratedImage:
    """Decode a base64 data URI and decide whether Telegram will take it as a photo."""
    match = _DATA_URI_RE.match(data_uri or "")
    if not match:
        raise ImageDataError("the model returned no image data")
    try:
        data = _decode_base64(data_uri, match.start("data"))
    except (binascii.Error, ValueError):
        raise ImageDataError("the image data is not valid base64") from None
    try:
        with Image.open(_BufferFile(data)) as image:  # type: ignore[arg-type]  # a raw file: all Pillow reads
            width, height, fmt = image.width, image.height, image.format or ""
    except Image.DecompressionBombError:
        # Too many pixels for Pillow to even open: certainly too big for a photo, fine as a file.
        return GeneratedImage(data, "image.png", 0, 0, as_photo=False)
    except (UnidentifiedImageError, OSError):
        raise ImageDataError("the image data is not a picture") from None
    filename = f"image.{_EXTENSIONS.get(fmt, 'png')}"
    return GeneratedImage(data, filename, width, height, as_photo=fits_as_photo(len(data), width, height))


def _decode_base64(text: str, start: int) -> bytearray:
    """`base64.b64decode(text[start:], validate=True)` without its two full-size copies of the text.

    The data URI is already 4/3 of the image; slicing it and encoding the slice to bytes made /draw hold
    about 4× the image at its peak (BENCHMARKS.md, measure 4). Decoding 64 KB at a time into a buffer of
    the final size keeps it near 2.3×, with the same checks: padding may only end the text, so it is
    decoded with the last piece, and a "=" before it is refused here, as strict decoding would.
    """
    chunk = 1 << 16  # characters per step: a multiple of 4, so every piece but the last is whole quanta
    stop = len(text)
    while stop > start and text[stop - 1] == "=":
        stop -= 1
    if text.find("=", start, stop) != -1:
        raise binascii.Error("Excess data after padding")
    data = bytearray((stop - start) * 3 // 4)
    filled, offset = 0, start
    while offset < len(text):
        end = offset + chunk if stop - offset > chunk else len(text)
        piece = binascii.a2b_base64(text[offset:end], strict_mode=True)
        data[filled : filled + len(piece)] = piece
        filled += len(piece)
        offset = end
    del data[filled:]  # only if the sizes disagreed, which strict decoding does not let happen
    return data


class _BufferFile(io.RawIOBase):
    """A read-only file over a buffer for Pillow: io.BytesIO would copy anything that is not bytes."""

    def __init__(self, buffer: bytearray) -> None:
        super().__init__()
        self._view = memoryview(buffer)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        piece = self._view[self._position : self._position + len(target)]
        target[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position


def fits_as_photo(size: int, width: int, height: int) -> bool:
    if size > PHOTO_MAX_BYTES or width <= 0 or height <= 0:
        return False
    return width + height <= PHOTO_MAX_SIDES_SUM and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)
