"""Value types shared by every provider and by their callers (g4f-compatible shapes)."""

from __future__ import annotations

from dataclasses import dataclass

Messages = list[dict[str, str]]
"""A chat history, e.g. ``[{"role": "user", "content": "Hi"}]``."""


@dataclass(frozen=True, repr=False)
class ImageResponse:
    """A generated image, yielded by a provider instead of text.

    ``images`` holds ``data:`` URIs so callers need no second download; it is always a list (a single
    string is wrapped, as g4f's ``ImageResponse`` allows). ``alt`` is the prompt that produced it.
    """

    images: list[str]
    alt: str

    def __post_init__(self) -> None:
        if isinstance(self.images, str):
            object.__setattr__(self, "images", [self.images])
        else:
            object.__setattr__(self, "images", list(self.images))

    def __repr__(self) -> str:
        """Keep logs readable: a data URI can be megabytes long."""
        sizes = ", ".join(f"<{len(uri)} chars>" for uri in self.images)
        return f"ImageResponse(images=[{sizes}], alt={self.alt!r})"
