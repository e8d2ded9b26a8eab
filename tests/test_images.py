"""Decoding the provider's data URI: strict base64 exactly as the standard library, and Telegram's photo rules."""

from __future__ import annotations

import base64
import binascii
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.services.images import ImageDataError, _decode_base64, decode_image, fits_as_photo

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def reference(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def ours(text: str) -> bytes | None:
    try:
        return bytes(_decode_base64("data:image/png;base64," + text, len("data:image/png;base64,")))
    except (binascii.Error, ValueError):
        return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_round_trip(data: bytes) -> None:
    assert ours(base64.b64encode(data).decode()) == data


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=B64_ALPHABET + " \n!", max_size=64))
def test_accepts_and_refuses_exactly_like_strict_b64decode(text: str) -> None:
    assert ours(text) == reference(text)


@pytest.mark.parametrize("size", [3 * (1 << 14) - 1, 3 * (1 << 14), 3 * (1 << 14) + 1, 3 * (1 << 15) + 2])
def test_sizes_around_the_chunk_boundary(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    encoded = base64.b64encode(data).decode()
    assert ours(encoded) == data
    assert ours(encoded[:-4] + "=" + encoded[-3:]) is None  # padding inside the text is refused


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


def uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_decode_image_reads_size_and_format() -> None:
    image = decode_image(uri(png(300, 200)))
    assert (image.width, image.height, image.filename, image.as_photo) == (300, 200, "image.png", True)
    assert bytes(image.data) == png(300, 200)


@pytest.mark.parametrize("bad", ["", "data:image/png,abc", "data:image/png;base64,@@@@", uri(b"hello")])
def test_bad_image_data_is_refused(bad: str) -> None:
    with pytest.raises(ImageDataError):
        decode_image(bad)


@pytest.mark.parametrize(
    ("size", "width", "height", "photo"),
    [(1000, 5000, 5000, True), (1000, 5000, 5001, False), (1000, 2000, 100, True), (1000, 2001, 100, False),
     (10 * 1024 * 1024, 10, 10, True), (10 * 1024 * 1024 + 1, 10, 10, False), (1000, 0, 10, False)],
)
def test_photo_limits(size: int, width: int, height: int, photo: bool) -> None:
    assert fits_as_photo(size, width, height) is photo
