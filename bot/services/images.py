"""Drawing and editing pictures: a `DrawRequest` to the provider, its images checked against Telegram's photo
limits."""

from __future__ import annotations

import asyncio
import io
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from provider import AsyncGeneratorProvider, ImageData, ImageResponse, ProviderResponseError
from provider.image import sniff_image_mime

# What Telegram accepts through sendPhoto; anything else must go out as a document.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20

_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class ImageDataError(ProviderResponseError):
    """The provider answered, but what it gave is no usable image."""


class SourceImageError(ValueError):
    """The picture to edit is no image Pillow can read."""


@dataclass(frozen=True)
class DrawRequest:
    """What to draw: `count` pictures of `prompt` at `size` ("WxH", fitted by the provider to its model),
    or, with `source` (image bytes), that picture edited by `prompt`."""

    prompt: str
    count: int = 1
    size: str | None = None
    source: bytes | None = None


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
        provider_options: dict[str, Any] | None = None,
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self._provider = provider
        self._options = provider_options or {}
        self._slots = slots or asyncio.Semaphore(32)
        self._model = provider.image_model
        self._edit_model = provider.image_edit_model

    @property
    def available(self) -> bool:
        return self._model is not None

    @property
    def can_edit(self) -> bool:
        return self._edit_model is not None

    async def draw(self, request: DrawRequest) -> list[GeneratedImage]:
        """`request.count` images (fewer never: a provider that draws fewer per request is asked again)."""
        model = self._edit_model if request.source is not None else self._model
        assert model is not None, "check `available` / `can_edit` first"
        options: dict[str, Any] = {**self._options, "size": request.size}
        if request.source is not None:
            options["image"] = source_image(request.source, model)
        images: list[GeneratedImage] = []
        for _ in range(request.count):  # bounded: every round brings at least one image or raises
            images += await self._request(model, request.prompt, request.count - len(images), options)
            if len(images) >= request.count:
                break
        return images[: request.count]

    async def _request(self, model: str, prompt: str, n: int, options: dict[str, Any]) -> list[GeneratedImage]:
        messages = [{"role": "user", "content": prompt}]
        # Closed here, not whenever the event loop gets to it: its frames hold the provider's buffers,
        # which must be gone before the picture is uploaded (BENCHMARKS.md, measure 4).
        async with self._slots, aclosing(
            self._provider.create_async_generator(  # type: ignore[type-var]  # typed AsyncIterator; an async generator
                model, messages, n=n, **options
            )
        ) as chunks:
            async for chunk in chunks:
                if isinstance(chunk, ImageResponse):
                    # Our providers hand over the bytes; a g4f-style one gives data URIs, decoded once here.
                    try:
                        files = chunk.files
                    except ValueError:
                        raise ImageDataError("the image data is not valid base64") from None
                    if files:
                        return [inspect_image(file) for file in files]
                    if chunk.images:
                        raise ImageDataError("the model returned no image data")
        raise ImageDataError("the model returned no image")


def source_image(data: bytes, model: str) -> ImageData:
    """The picture to edit as the edits endpoint takes it: PNG, JPEG or WebP as they are (gpt-image models);
    anything else, or anything for dall-e-2 (which takes only PNG), converted to PNG with Pillow."""
    mime = sniff_image_mime(data)
    if mime in ("image/png", "image/jpeg", "image/webp") and (mime == "image/png" or not model.startswith("dall-e-2")):
        return ImageData(data, mime)
    try:
        with Image.open(io.BytesIO(data)) as image:
            converted = io.BytesIO()
            image.convert("RGBA").save(converted, format="PNG")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise SourceImageError("the picture to edit is not an image") from None
    return ImageData(converted.getvalue(), "image/png")


def inspect_image(file: ImageData) -> GeneratedImage:
    """Read the picture's size and format and decide whether Telegram will take it as a photo."""
    data = file.data
    try:
        with Image.open(io.BytesIO(data)) as image:  # BytesIO shares bytes without copying them
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
