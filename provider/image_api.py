"""OpenAI's images API: several images per request (``n``), sizes per model, and ``/images/edits``.

Generations are JSON; edits are a multipart form carrying the source image. Both answer
``{"data": [{"b64_json"} | {"url"}, ...]}``. A model that allows only one image per request (dall-e-3)
is asked several times at once, so a caller can always ask for ``n`` images.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from typing import Any

import aiohttp

from .errors import ImageTooLargeError
from .helper import safe_url
from .http import checked_post, decode_json, read_capped, translate_errors
from .image import base64_image, download_image_file, no_image_error
from .types import ImageData

MAX_N = 10  # the API's own cap on ``n``
_JSON_SLACK = 64 * 1024  # room for the JSON around each base64 image (revised_prompt and the like)
# The sizes each known model accepts; other models (local servers, gateways) get the size as asked.
MODEL_SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "dall-e-3": ((1024, 1024), (1792, 1024), (1024, 1792)),
    "dall-e-2": ((256, 256), (512, 512), (1024, 1024)),
    "gpt-image-1": ((1024, 1024), (1536, 1024), (1024, 1536)),
}
_SIZE = re.compile(r"(\d+)x(\d+)")
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def _family(model: str) -> str | None:
    for known in MODEL_SIZES:
        if model == known or model.startswith(f"{known}-") or model.startswith(f"{known}."):
            return known
    if model.startswith("gpt-image"):
        return "gpt-image-1"
    return None


def fit_size(model: str, size: str | None) -> str | None:
    """The size ``model`` accepts nearest to ``size`` ("WxH"): same shape first, then the closest area.
    None (the model's default) when no size is asked for or it is not "WxH"."""
    match = _SIZE.fullmatch(size or "")
    if match is None:
        return None
    width, height = int(match[1]), int(match[2])
    if width <= 0 or height <= 0:
        return None
    family = _family(model)
    if family is None:
        return f"{width}x{height}"
    ratio = math.log(width / height)

    def distance(candidate: tuple[int, int]) -> tuple[float, int]:
        w, h = candidate
        return abs(math.log(w / h) - ratio), abs(w * h - width * height)

    best = min(MODEL_SIZES[family], key=distance)
    return f"{best[0]}x{best[1]}"


def images_per_request(model: str) -> int:
    """dall-e-3 draws one image per request; the others up to ``MAX_N``."""
    return 1 if _family(model) == "dall-e-3" else MAX_N


def wants_base64(model: str) -> bool:
    """gpt-image models always answer in base64 and refuse ``response_format``."""
    return not model.startswith("gpt-image")


def generation_body(model: str, prompt: str, n: int = 1, size: str | None = None) -> dict[str, Any]:
    """The ``/images/generations`` JSON body."""
    payload: dict[str, Any] = {"model": model, "prompt": prompt, "n": n}
    if size is not None:
        payload["size"] = size
    if wants_base64(model):
        payload["response_format"] = "b64_json"
    return payload


def edit_form(model: str, prompt: str, image: ImageData, n: int = 1, size: str | None = None) -> aiohttp.FormData:
    """The ``/images/edits`` multipart form: the source image as a file part, the rest as fields."""
    form = aiohttp.FormData()
    form.add_field("model", model)
    form.add_field("prompt", prompt)
    form.add_field("n", str(n))
    if size is not None:
        form.add_field("size", size)
    if wants_base64(model):
        form.add_field("response_format", "b64_json")
    form.add_field("image", image.data, filename=f"image.{_EXTENSIONS.get(image.mime, 'png')}", content_type=image.mime)
    return form


async def request_images(
    http: aiohttp.ClientSession,
    endpoint: str,
    *,
    label: str,
    body: Callable[[int], Any],
    post_options: dict[str, Any],
    image_cap: int,
    n: int,
    per_request: int,
) -> list[ImageData]:
    """``n`` images from ``endpoint``: ``body(k)`` builds the data of a request for ``k`` images (a fresh
    one each time: a multipart form is sent only once), in as many concurrent requests as ``per_request``
    needs. Any failure fails the whole call."""
    counts = [min(per_request, n - start) for start in range(0, n, per_request)]
    if len(counts) == 1:
        return await _one_request(http, endpoint, label, body(counts[0]), post_options, image_cap, counts[0])
    tasks = [asyncio.ensure_future(_one_request(http, endpoint, label, body(k), post_options, image_cap, k))
             for k in counts]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException:  # the first failure (or a cancellation) stops the other requests too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [image for images in results for image in images]


async def _one_request(
    http: aiohttp.ClientSession,
    endpoint: str,
    label: str,
    data: Any,
    post_options: dict[str, Any],
    image_cap: int,
    n: int,
) -> list[ImageData]:
    json_cap = n * (image_cap // 3 * 4 + _JSON_SLACK)
    async with checked_post(http, endpoint, subject=label, data=data, **post_options) as response:
        with translate_errors(label, endpoint, provider=label):
            raw = await read_capped(response, json_cap)
    if raw is None:
        raise ImageTooLargeError(
            image_cap, provider=label, detail=f"the answer from {safe_url(endpoint)} is over {json_cap} bytes"
        )
    payload = decode_json(raw, subject=label)
    entries = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise no_image_error(label, "the response has no 'data' list", payload)
    if not entries:
        raise no_image_error(label, "the 'data' list is empty", payload)
    return [await _entry_image(http, entry, label, post_options, image_cap, payload) for entry in entries[:n]]


async def _entry_image(
    http: aiohttp.ClientSession,
    entry: object,
    label: str,
    post_options: dict[str, Any],
    image_cap: int,
    payload: object,
) -> ImageData:
    """One ``data[i]``: its ``b64_json``, or its ``url`` downloaded with the image host's limits."""
    if not isinstance(entry, dict):
        raise no_image_error(label, "a 'data' item is not an object", payload)
    encoded, image_url = entry.get("b64_json"), entry.get("url")
    if isinstance(encoded, str) and encoded:
        return base64_image("".join(encoded.split()), max_bytes=image_cap, provider=label)
    if isinstance(image_url, str) and image_url:
        # Another host (a signed blob URL): it gets no Authorization header, only the download limits.
        return await download_image_file(
            http,
            image_url,
            proxy=post_options.get("proxy"),
            request_timeout=post_options["timeout"],
            max_bytes=image_cap,
            headers={"accept": "image/*"},
            provider=label,
        )
    raise no_image_error(label, "a 'data' item has neither 'b64_json' nor 'url'", payload)
