"""AiChats: gpt4free's provider for ai-chats.org (chat and dalle), faithful on the wire, sturdier in use.

Differences from the reference, each on purpose: the answer is streamed as it arrives; errors are raised,
never yielded as text; there are timeouts; the hard-coded 2024 session cookie is an option instead; the
image's MIME type comes from its bytes; and the image host gets neither the cookie nor ai-chats headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar

import aiohttp

from .base import AsyncGeneratorProvider, HostLabel
from .errors import ProviderResponseError
from .helper import format_prompt, is_http_url, safe_url
from .http import raise_for_status, resolve_timeout, session_scope, translate_errors
from .image import download_image_as_data_uri, resolve_max_image_bytes
from .sse import iter_sse_data
from .trim import AnswerTrimmer
from .types import ImageResponse, Messages

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
    working: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    default_model: ClassVar[str] = "gpt-4"
    models: ClassVar[list[str]] = ["gpt-4", "dalle"]
    image_model: ClassVar[str | None] = "dalle"

    @classmethod
    def with_base_url(cls, base_url: str) -> type[AiChats]:
        """A subclass aimed at another deployment or an emulator, e.g. ``AiChats.with_base_url(AICHATS_URL)``."""
        base = base_url.strip().rstrip("/")
        if not is_http_url(base):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        namespace = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "url": base,
            "api_endpoint": f"{base}/chat/send2/",
            "label": HostLabel(),
        }
        return type(cls.__name__, (cls,), namespace)

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
    ) -> AsyncIterator[str | ImageResponse]:
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
        async with session_scope(session) as http:
            post_options: dict[str, Any] = {
                "data": body,
                "headers": headers,
                "proxy": proxy,
                "timeout": request_timeout,
                "raise_for_status": False,  # statuses are ours to map, whatever the caller's session says
            }
            if is_image:
                image_url = await cls._request_image_url(http, endpoint, post_options)
                data_uri = await download_image_as_data_uri(
                    http,
                    image_url,
                    proxy=proxy,
                    request_timeout=request_timeout,
                    max_bytes=image_cap,
                    headers=cls.image_headers(),
                    provider=cls.label,
                )
                yield ImageResponse(images=[data_uri], alt=prompt)
            else:
                async with aclosing(cls._stream_chat(http, endpoint, post_options)) as chunks:
                    async for chunk in chunks:
                        yield chunk

    @classmethod
    async def _stream_chat(
        cls, http: aiohttp.ClientSession, endpoint: str, post_options: dict[str, Any]
    ) -> AsyncIterator[str]:
        """POST the chat request and yield the SSE text as it arrives, trimmed like the reference."""
        label = cls.label
        with translate_errors(label, endpoint, provider=label):
            response = await http.post(endpoint, **post_options)
        async with response:
            with translate_errors(label, endpoint, provider=label):
                await raise_for_status(response, subject=label, provider=label)
            trimmer = AnswerTrimmer()
            # Lenient at EOF like the reference: a last event without its blank line still counts.
            stream = iter_sse_data(response.content.iter_any(), dispatch_incomplete=True)
            async with aclosing(stream) as texts:
                while True:
                    with translate_errors(label, endpoint, provider=label):
                        try:
                            text = await anext(texts)
                        except StopAsyncIteration:
                            break
                    for piece in trimmer.feed(text):
                        yield piece
            tail = trimmer.finish()
            if tail:
                yield tail
            if not trimmer.started:
                raise ProviderResponseError(
                    f"{label} returned an empty answer",
                    provider=label,
                    detail=f"no text in the {response.content_type} response from {safe_url(endpoint)}",
                )

    @classmethod
    async def _request_image_url(
        cls, http: aiohttp.ClientSession, endpoint: str, post_options: dict[str, Any]
    ) -> str:
        """POST the image request and return ``data[0].url`` from its JSON answer."""
        label = cls.label
        with translate_errors(label, endpoint, provider=label):
            async with http.post(endpoint, **post_options) as response:
                await raise_for_status(response, subject=label, provider=label)
                raw = await response.read()
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise ProviderResponseError(
                f"{label} returned a response that is not JSON", provider=label, detail=f"{raw[:120]!r}"
            ) from exc
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise _no_image(label, "the response has no 'data' list", payload)
        if not data:
            raise _no_image(label, "the 'data' list is empty", payload)
        first = data[0]
        image_url = first.get("url") if isinstance(first, dict) else None
        if not isinstance(image_url, str) or not image_url:
            raise _no_image(label, "data[0] has no 'url'", payload)
        if not is_http_url(image_url):
            raise ProviderResponseError(
                f"{label} returned an image URL that is not http(s)",
                provider=label,
                detail=f"got {image_url[:80]!r}",
            )
        return image_url


def _no_image(label: str, why: str, payload: object) -> ProviderResponseError:
    """The error for a well-formed JSON answer that carries no image URL."""
    return ProviderResponseError(f"{label} returned no image", provider=label, detail=f"{why}: {payload!r:.200}")
