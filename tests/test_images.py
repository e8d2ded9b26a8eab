"""The image service: the provider's bytes used as they are, data URIs of g4f-style providers, Telegram's rules."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.services.images import DrawRequest, ImageDataError, ImageService, fits_as_photo
from provider import AsyncGeneratorProvider, ImageData, ImageResponse
from tests.helpers import png_bytes


def png(width: int, height: int) -> bytes:
    return png_bytes(width, height, (1, 2, 3))


def uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def test_a_data_uri_is_read_for_size_and_format() -> None:
    [image] = await ImageService(Drawer(ImageResponse([uri(png(300, 200))], "fox"))).draw(DrawRequest("fox"))
    assert (image.width, image.height, image.filename, image.as_photo) == (300, 200, "image.png", True)
    assert bytes(image.data) == png(300, 200)


@pytest.mark.parametrize("bad", ["", "data:image/png,abc", "data:image/png;base64,@@@@", uri(b"hello")])
async def test_bad_image_data_is_refused(bad: str) -> None:
    with pytest.raises(ImageDataError):
        await ImageService(Drawer(ImageResponse([bad], "fox"))).draw(DrawRequest("fox"))


@pytest.mark.parametrize(
    ("size", "width", "height", "photo"),
    [(1000, 5000, 5000, True), (1000, 5000, 5001, False), (1000, 2000, 100, True), (1000, 2001, 100, False),
     (10 * 1024 * 1024, 10, 10, True), (10 * 1024 * 1024 + 1, 10, 10, False), (1000, 0, 10, False)],
)
def test_photo_limits(size: int, width: int, height: int, photo: bool) -> None:
    assert fits_as_photo(size, width, height) is photo


class Drawer(AsyncGeneratorProvider):
    """Yields one scripted ImageResponse."""

    image_model = "img"

    def __init__(self, response: ImageResponse) -> None:
        self.response = response

    async def create_async_generator(  # type: ignore[override]  # an instance, as the chain is
        self, model: str, messages: Any, proxy: str | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        yield self.response


async def test_the_providers_bytes_are_used_as_they_are() -> None:
    """No decoding of what the provider encoded: the very bytes object goes on to Telegram, no data URI made."""
    data = png(30, 20)
    response = ImageResponse(files=[ImageData(data, "image/png")], alt="fox")
    [image] = await ImageService(Drawer(response)).draw(DrawRequest("fox"))
    assert image.data is data and (image.width, image.height, image.as_photo) == (30, 20, True)
    assert response._images is None  # the data URIs were never built


async def test_a_data_uri_only_provider_still_works() -> None:
    [image] = await ImageService(Drawer(ImageResponse([uri(png(10, 10))], "fox"))).draw(DrawRequest("fox"))
    assert bytes(image.data) == png(10, 10)


@pytest.mark.parametrize("images", [["data:image/png;base64,@@@@"], ["https://img.test/a.png"], []])
async def test_unusable_image_answers_are_refused(images: list[str]) -> None:
    with pytest.raises(ImageDataError):
        await ImageService(Drawer(ImageResponse(images, "fox"))).draw(DrawRequest("fox"))
