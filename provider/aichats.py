"""AiChats: gpt4free's provider for ai-chats.org (chat and dalle), faithful on the wire, sturdier in use.

Differences from the reference, each on purpose: the answer is streamed as it arrives; errors are raised,
never yielded as text; there are timeouts; the hard-coded 2024 session cookie is an option instead; the
image's MIME type comes from its bytes; and the image host gets neither the cookie nor ai-chats headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

import aiohttp

from .base import AsyncGeneratorProvider, HostLabel
from .errors import ProviderResponseError
from .helper import format_prompt, is_http_url, safe_url
from .http import checked_post, decode_json, read_sse_data, resolve_timeout, session_scope, translate_errors
from .image import download_image_file, first_image_entry, no_image_error, resolve_max_image_bytes
from .trim import trim_answer
from .types import ImageData, ImageResponse, Messages, Usage

logger = logging.getLogger(__name__)

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36"
)
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"


class AiChats(AsyncGeneratorProvider):
    """ai-chats.org: ``gpt-4`` (or any model name) streams text; ``dalle`` yields one ``ImageResponse``.

    Options (keyword arguments): ``session`` (reuse the caller's ``aiohttp.ClientSession``), ``timeout``
    (``aiohttp.ClientTimeout`` or total seconds; default connect 10 s, total 120 s), ``cookie`` (a Cookie
    header for ai-chats.org only) and ``max_image_bytes`` (default 20 MB). Other keywords are ignored, as
    g4f callers pass extras freely.
    """

    url: ClassVar[str] = "https://ai-chats.org"
    api_endpoint: ClassVar[str] = "https://ai-chats.org/chat/send2/"
    working: bool = True
    kind: ClassVar[str] = "ai-chats.org"
    supports_stream: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    default_model: str = "gpt-4"
    models: list[str] = ["gpt-4", "dalle"]  # noqa: RUF012 - g4f shape: read per class and per chain instance
    image_model: str | None = "dalle"

    @classmethod
    def with_base_url(cls, base_url: str) -> type[AiChats]:
        """A subclass aimed at another deployment or an emulator, e.g. ``AiChats.with_base_url(AICHATS_URL)``."""
        base = base_url.strip().rstrip("/")
        if not is_http_url(base):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        return cls._subclass(url=base, api_endpoint=f"{base}/chat/send2/", label=HostLabel())

    @classmethod
    def build_headers(cls, model: str, cookie: str | None = None) -> dict[str, str]:
        """The reference's browser headers, in its order, minus its hard-coded cookie."""
        headers = {
            "accept": "application/json, text/event-stream",
            "accept-language": "en-US,en;q=0.9",
            "cache-control": "no-cache",
            "content-type": "application/json",
            "origin": cls.url,
            "pragma": "no-cache",
            "referer": f"{cls.url}/{'image' if model == cls.image_model else 'chat'}/",
            "sec-ch-ua": '"Chromium";v="127", "Not)A;Brand";v="99"',
            "sec-ch-ua-mobile": "?0",
            "sec-ch-ua-platform": '"Linux"',
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "user-agent": USER_AGENT,
        }
        if cookie:
            if "\r" in cookie or "\n" in cookie:
                raise ValueError("cookie must not contain line breaks")
            headers["cookie"] = cookie
        return headers

    @staticmethod
    def image_headers() -> dict[str, str]:
        """Headers for the image host: a browser-like GET, with nothing that belongs to ai-chats.org."""
        return {"accept": IMAGE_ACCEPT, "accept-language": "en-US,en;q=0.9", "user-agent": USER_AGENT}

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,  # noqa: ASYNC109 - per-request, part of the API
        cookie: str | None = None,
        max_image_bytes: int | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str | ImageResponse | Usage]:
        """Yield text chunks as the event stream delivers them, or one ``ImageResponse`` for ``dalle``.

        Raises ``ValueError`` for empty chat ``messages`` (before any request) and ``ProviderError``
        subclasses for every failure of the service.
        """
        is_image = model == cls.image_model
        prompt = (messages[-1]["content"] if messages else "") if is_image else format_prompt(messages)
        request_timeout = resolve_timeout(timeout)
        image_cap = resolve_max_image_bytes(max_image_bytes)
        headers = cls.build_headers(model, cookie)
        body = json.dumps(
            {"type": "image" if is_image else "chat", "messagesHistory": [{"from": "you", "content": prompt}]}
        ).encode()
        if kwargs:
            logger.debug("%s ignores options %s", cls.__name__, sorted(kwargs))
        endpoint = cls.api_endpoint
        logger.debug("POST %s (model %r, %d bytes)", safe_url(endpoint), model, len(body))
        post_options: dict[str, Any] = {
            "data": body,
            "headers": headers,
            "proxy": proxy,
            "timeout": request_timeout,
        }
        async with session_scope(session) as http:
            if is_image:
                image = await cls._draw(http, endpoint=endpoint, post_options=post_options, max_bytes=image_cap)
                yield ImageResponse(files=[image], alt=prompt)
                return
            async with aclosing(cls._stream_chat(http, endpoint, post_options)) as chunks:
                async for chunk in chunks:
                    yield chunk

    @classmethod
    async def _draw(
        cls, http: aiohttp.ClientSession, *, endpoint: str, post_options: dict[str, Any], max_bytes: int
    ) -> ImageData:
        """Ask for an image, then fetch it from the host it names (without anything of ai-chats.org's)."""
        image_url = await cls._request_image_url(http, endpoint, post_options)
        return await download_image_file(
            http,
            image_url,
            proxy=post_options["proxy"],
            request_timeout=post_options["timeout"],
            max_bytes=max_bytes,
            headers=cls.image_headers(),
            provider=cls.label,
        )

    @classmethod
    async def _stream_chat(
        cls, http: aiohttp.ClientSession, endpoint: str, post_options: dict[str, Any]
    ) -> AsyncGenerator[str, None]:
        """POST the chat request and yield the SSE text as it arrives, trimmed like the reference."""
        label = cls.label
        async with checked_post(http, endpoint, subject=label, **post_options) as response:
            # Lenient at EOF like the reference: a last event without its blank line still counts.
            texts = read_sse_data(response, subject=label, url=endpoint, dispatch_incomplete=True)
            detail = f"no text in the {response.content_type} response from {safe_url(endpoint)}"
            async with aclosing(trim_answer(texts, provider=label, detail=detail)) as pieces:
                async for piece in pieces:
                    yield piece

    @classmethod
    async def _request_image_url(cls, http: aiohttp.ClientSession, endpoint: str, post_options: dict[str, Any]) -> str:
        """POST the image request and return ``data[0].url`` from its JSON answer."""
        label = cls.label
        async with checked_post(http, endpoint, subject=label, **post_options) as response:
            with translate_errors(label, endpoint, provider=label):
                raw = await response.read()
        payload = decode_json(raw, subject=label)
        image_url = first_image_entry(payload, provider=label).get("url")
        if not isinstance(image_url, str) or not image_url:
            raise no_image_error(label, "data[0] has no 'url'", payload)
        if not is_http_url(image_url):
            raise ProviderResponseError(
                f"{label} returned an image URL that is not http(s)",
                provider=label,
                detail=f"got {image_url[:80]!r}",
            )
        return image_url
