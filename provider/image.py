"""Downloading generated images safely and checking that they are images (``ImageData``).

Image URLs come from a provider's answer and point at another host, so the download is treated as
untrusted: only http(s), none of the provider's cookies or origin headers, a size cap enforced while
reading (the rest is never read), and a MIME type taken from the bytes themselves, not from the server.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from .errors import ImageTooLargeError, ProviderResponseError
from .helper import is_http_url, safe_url
from .http import DEFAULT_TIMEOUT, raise_for_status, read_capped, translate_errors
from .types import ImageData

logger = logging.getLogger(__name__)

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_HOST = "the image host"


def sniff_image_mime(data: bytes) -> str | None:
    """The MIME type the bytes really are (PNG, JPEG, WebP, GIF, by magic number), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_data_uri(data: bytes, *, provider: str | None = None) -> str:
    """Encode image bytes as ``data:<mime>;base64,...``; refuse bytes that are not a known image."""
    return checked_image(data, provider=provider).data_uri()


def checked_image(data: bytes, *, provider: str | None = None) -> ImageData:
    """The bytes with their real MIME type; refuse bytes that are not a known image."""
    mime = sniff_image_mime(data)
    if mime is None:
        raise ProviderResponseError(
            "the generated file is not an image",
            provider=provider,
            detail=f"{len(data)} bytes starting with {data[:16]!r}",
        )
    return ImageData(data, mime)


def base64_image(encoded: str, *, max_bytes: int, provider: str | None = None) -> ImageData:
    """The image in an API's ``b64_json``: checked to be base64, within ``max_bytes`` and an image."""
    if len(encoded) > (max_bytes + 2) // 3 * 4 + 64:  # refuse before decoding megabytes for nothing
        raise ImageTooLargeError(max_bytes, provider=provider, detail=f"{len(encoded)} base64 characters")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderResponseError(
            f"{provider or 'the provider'} returned image data that is not base64",
            provider=provider,
            detail=f"{len(encoded)} characters starting with {encoded[:16]!r}",
        ) from exc
    if len(data) > max_bytes:
        raise ImageTooLargeError(max_bytes, size=len(data), provider=provider, detail="decoded b64_json")
    return checked_image(data, provider=provider)


def first_image_entry(payload: object, *, provider: str) -> dict[str, Any]:
    """``data[0]`` of an images API answer (``{"data": [{...}]}``), or the "returned no image" error."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise no_image_error(provider, "the response has no 'data' list", payload)
    if not data:
        raise no_image_error(provider, "the 'data' list is empty", payload)
    if not isinstance(data[0], dict):
        raise no_image_error(provider, "data[0] is not an object", payload)
    return data[0]


def no_image_error(provider: str, why: str, payload: object) -> ProviderResponseError:
    """The error for a well-formed answer that carries no usable image."""
    return ProviderResponseError(f"{provider} returned no image", provider=provider, detail=f"{why}: {payload!r:.200}")


def resolve_max_image_bytes(max_image_bytes: int | None) -> int:
    """Validate the ``max_image_bytes=`` option (None → 20 MB)."""
    if max_image_bytes is None:
        return DEFAULT_MAX_IMAGE_BYTES
    if isinstance(max_image_bytes, bool) or not isinstance(max_image_bytes, int) or max_image_bytes <= 0:
        raise ValueError(f"max_image_bytes must be a positive int, not {max_image_bytes!r}")
    return max_image_bytes


async def download_image_file(
    session: aiohttp.ClientSession,
    url: str,
    *,
    proxy: str | None = None,
    request_timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    headers: Mapping[str, str] | None = None,
    provider: str | None = None,
) -> ImageData:
    """GET an image with a hard size cap (``ImageTooLargeError`` as soon as it is passed), then ``checked_image``:
    what a provider yields inside an ``ImageResponse``."""
    if not is_http_url(url):
        raise ProviderResponseError(
            "the image URL is not an http(s) URL", provider=provider, detail=f"got {str(url)[:80]!r}"
        )
    shown = safe_url(url)
    logger.debug("downloading image from %s (cap %d bytes)", shown, max_bytes)
    with translate_errors(IMAGE_HOST, url, provider=provider):
        async with session.get(
            url, headers=dict(headers or {}), proxy=proxy, timeout=request_timeout, raise_for_status=False
        ) as response:
            await raise_for_status(response, subject=IMAGE_HOST, provider=provider)
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                response.close()
                raise ImageTooLargeError(
                    max_bytes, size=declared, provider=provider, detail=f"Content-Length {declared} from {shown}"
                )
            data = await read_capped(response, max_bytes)
    if data is None:
        raise ImageTooLargeError(max_bytes, provider=provider, detail=f"more than {max_bytes} bytes from {shown}")
    return checked_image(data, provider=provider)

