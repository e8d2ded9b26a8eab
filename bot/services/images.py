"""Image generation: the provider's data URI decoded and checked against Telegram's photo limits."""

from __future__ import annotations

import base64
import binascii
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
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
    data: bytes
    filename: str
    width: int
    height: int
    as_photo: bool


class ImageService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        *,
        session: aiohttp.ClientSession | None = None,
        model: str | None = None,
    ) -> None:
        self._provider = provider
        self._session = session
        self._model = model or provider.image_model

    @property
    def available(self) -> bool:
        return self._model is not None

    async def draw(self, prompt: str) -> GeneratedImage:
        assert self._model is not None, "check `available` first"
        kwargs: dict[str, Any] = {"session": self._session} if self._session else {}
        messages = [{"role": "user", "content": prompt}]
        async for chunk in self._provider.create_async_generator(self._model, messages, **kwargs):
            if isinstance(chunk, ImageResponse) and chunk.images:
                return decode_image(chunk.images[0])
        raise ImageDataError("the model returned no image")


def decode_image(data_uri: str) -> GeneratedImage:
    """Decode a base64 data URI and decide whether Telegram will take it as a photo."""
    match = _DATA_URI_RE.match(data_uri or "")
    if not match:
        raise ImageDataError("the model returned no image data")
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ImageDataError("the image data is not valid base64") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height, fmt = image.width, image.height, image.format or ""
    except Image.DecompressionBombError:
        # Too many pixels for Pillow to even open: certainly too big for a photo, fine as a file.
        return GeneratedImage(data, "image.png", 0, 0, as_photo=False)
    except (UnidentifiedImageError, OSError):
        raise ImageDataError("the image data is not a picture") from None
    filename = f"image.{_EXTENSIONS.get(fmt, 'png')}"
    return GeneratedImage(data, filename, width, height, as_photo=fits_as_photo(len(data), width, height))


def fits_as_photo(size: int, width: int, height: int) -> bool:
    if size > PHOTO_MAX_BYTES or width <= 0 or height <= 0:
        return False
    return width + height <= PHOTO_MAX_SIDES_SUM and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)
