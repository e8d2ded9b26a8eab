"""OpenAICompatible: any server speaking the OpenAI HTTP API (OpenAI, OpenRouter, Ollama, LM Studio, vLLM,
llama.cpp) for streamed chat and image generation.

Unlike AiChats the history goes over as it is (roles kept, a system prompt allowed), and the API key is
held so that it only ever reaches the ``Authorization`` header: never a log line, an error or a repr.
This class holds a server's configuration and builds its requests; the answers are read by ``chat_api``,
``image_api`` and ``transcription``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any, ClassVar

import aiohttp

from . import transcription
from .base import AsyncGeneratorProvider, HostLabel
from .chat_api import explain_error, stream_chat
from .content import json_body, without_images
from .helper import ApiKey, is_http_url, safe_url
from .http import resolve_timeout, session_scope
from .image import resolve_max_image_bytes
from .image_api import edit_form, fit_size, generation_body, images_per_request, request_images
from .types import ImageData, ImageResponse, Messages, Usage

logger = logging.getLogger(__name__)


class OpenAICompatible(AsyncGeneratorProvider):
    """OpenAI's ``/chat/completions`` (streamed) and ``/images/generations`` on any compatible server.

    ``model == image_model`` asks for images (one ``ImageResponse``; ``n`` and ``size`` options), and
    ``image=ImageData(...)`` with ``model == image_edit_model`` edits that image (``/images/edits``); any
    other model streams text. Options as for ``AiChats``: ``session``, ``timeout``, ``proxy`` and
    ``max_image_bytes``; ``chat_model`` picks another of its chat models for this request (a name it was not
    configured with is ignored, so a chain can pass it to every member); other keywords are ignored.
    A chat stream ends with a ``Usage`` when the server counts tokens (``stream_options.include_usage``).
    Aim it at a server with :meth:`configure`.
    """

    url: ClassVar[str] = "https://api.openai.com/v1"
    working: bool = True
    kind: ClassVar[str] = "OpenAI-compatible"
    supports_stream: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    label = HostLabel(with_port=True)  # local servers differ only by port ("127.0.0.1:11434")
    default_model: str = "gpt-4o-mini"
    models: list[str] = ["gpt-4o-mini", "dall-e-3"]  # noqa: RUF012 - g4f shape: read per class and per chain instance
    image_model: str | None = "dall-e-3"
    image_edit_model: str | None = "gpt-image-1"
    api_key: ClassVar[ApiKey | None] = None
    supports_vision: bool = True
    transcribe_model: str | None = None

    @classmethod
    def configure(
        cls,
        base_url: str,
        api_key: str | None = None,
        model: str = "gpt-4o-mini",
        image_model: str | None = "dall-e-3",
        label: str | None = None,
        image_edit_model: str | None = None,
        vision: bool = True,
        transcribe_model: str | None = None,
        chat_models: Sequence[str] = (),
    ) -> type[OpenAICompatible]:
        """A subclass aimed at one server, e.g. ``configure("http://127.0.0.1:11434/v1", image_model=None)``.

        ``base_url`` ends before ``/chat/completions`` (usually in ``/v1``); ``image_model=None`` makes the
        provider chat-only; ``image_edit_model`` (None: no editing) edits images; ``label`` names
        it in errors (default: the host, with its port if given); ``vision=False`` flattens images to
        ``[image]`` for text-only models; ``transcribe_model`` (e.g. ``whisper-1``) turns on :meth:`transcribe`.
        ``chat_models`` are further chat models a request may pick with ``chat_model=``.
        """
        base = base_url.strip().rstrip("/")
        if not is_http_url(base):
            raise ValueError(f"base_url must be an http(s) URL, not {safe_url(base_url)!r}")
        model = (model or "").strip()
        if not model:
            raise ValueError("model must not be empty")
        image_model = (image_model or "").strip() or None
        if image_model == model:
            raise ValueError("image_model must differ from model: the model name decides chat or image")
        key = (api_key or "").strip()
        chats = list(dict.fromkeys([model, *(name.strip() for name in chat_models if name.strip())]))
        if image_model in chats:
            raise ValueError("image_model must differ from every chat model: the model name decides chat or image")
        return cls._subclass(
            url=base,
            api_key=ApiKey(key) if key else None,
            default_model=model,
            models=[*chats, image_model] if image_model else chats,
            image_model=image_model,
            image_edit_model=(image_edit_model or "").strip() or None,
            label=label or HostLabel(with_port=True),
            supports_vision=vision,
            transcribe_model=(transcribe_model or "").strip() or None,
        )

    @classmethod
    def build_headers(cls, *, stream: bool, form: bool = False) -> dict[str, str]:
        """JSON in (or a multipart ``form``: aiohttp writes its boundary); an event stream (chat) or JSON out;
        the bearer token only when a key is set."""
        headers = {"accept": "text/event-stream" if stream else "application/json"}
        if not form:
            headers["content-type"] = "application/json"
        if cls.api_key is not None:
            headers["authorization"] = cls.api_key.bearer()
        return headers

    @classmethod
    def _post_options(
        cls, headers: dict[str, str], proxy: str | None, request_timeout: aiohttp.ClientTimeout
    ) -> dict[str, Any]:
        """What every request to this server goes with; an error body is read with the key blanked out."""
        return {
            "headers": headers,
            "proxy": proxy,
            "timeout": request_timeout,
            "explain": functools.partial(explain_error, key=cls.api_key),
            "refused": "the API key" if cls.api_key is not None else "access without an API key",
        }

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,  # noqa: ASYNC109 - per-request, part of the API
        max_image_bytes: int | None = None,
        n: int = 1,
        size: str | None = None,
        image: ImageData | None = None,
        chat_model: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str | ImageResponse | Usage]:
        """Yield text chunks as they stream in (then a ``Usage`` if the server counts tokens), or one
        ``ImageResponse`` of ``n`` images when ``model`` is the image model (or the edit model, given the
        ``image`` to edit); ``size`` ("WxH") is fitted to what the model accepts.

        Raises ``ValueError`` for empty ``messages`` (before any request) and ``ProviderError``
        subclasses for every failure of the server.
        """
        if not messages:
            raise ValueError("messages must not be empty")
        if image is not None and (cls.image_edit_model is None or model != cls.image_edit_model):
            raise ValueError(f"{cls.__name__} edits images only with its image_edit_model")
        is_image = image is not None or (cls.image_model is not None and model == cls.image_model)
        request_timeout = resolve_timeout(timeout)
        image_cap = resolve_max_image_bytes(max_image_bytes)
        if kwargs:
            logger.debug("%s ignores options %s", cls.__name__, sorted(kwargs))
        if is_image:
            prompt = messages[-1].get("content")
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError("the last message must hold the image prompt")
            yield await cls._images(model, prompt, image, n, size, session, proxy, request_timeout, image_cap)
            return
        endpoint = f"{cls.url}/chat/completions"
        if chat_model and chat_model in cls.models and chat_model != cls.image_model:
            model = chat_model  # the conversation's own pick among this server's chat models
        payload = {
            "model": model or cls.default_model,
            "messages": messages if cls.supports_vision else without_images(messages),
            "stream": True,
            "stream_options": {"include_usage": True},  # a last chunk counts the tokens
        }
        body = json_body(payload)  # images are megabytes: no extra copies of them
        length = len(body) if isinstance(body, bytes) else body.size
        logger.debug("POST %s (model %r, %d bytes)", safe_url(endpoint), payload["model"], length)
        headers = {**cls.build_headers(stream=True), "content-length": str(length)}
        options = {"data": body, **cls._post_options(headers, proxy, request_timeout)}
        async with (
            session_scope(session) as http,
            aclosing(stream_chat(http, endpoint, options, label=cls.label, key=cls.api_key)) as chunks,
        ):
            async for chunk in chunks:
                yield chunk

    @classmethod
    async def _images(
        cls,
        model: str,
        prompt: str,
        image: ImageData | None,
        n: int,
        size: str | None,
        session: aiohttp.ClientSession | None,
        proxy: str | None,
        request_timeout: aiohttp.ClientTimeout,
        image_cap: int,
    ) -> ImageResponse:
        """``n`` images: generated from ``prompt``, or ``image`` edited by it."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, not {n!r}")
        fitted = fit_size(model, size)
        if image is not None:
            endpoint, headers = f"{cls.url}/images/edits", cls.build_headers(stream=False, form=True)

            def body(k: int) -> Any:
                return edit_form(model, prompt, image, k, fitted)
        else:
            endpoint, headers = f"{cls.url}/images/generations", cls.build_headers(stream=False)

            def body(k: int) -> Any:
                return json.dumps(generation_body(model, prompt, k, fitted)).encode()

        logger.debug("POST %s (model %r, %d images, size %s)", safe_url(endpoint), model, n, fitted)
        options = cls._post_options(headers, proxy, request_timeout)
        async with session_scope(session) as http:
            files = await request_images(
                http, endpoint, label=cls.label, body=body, post_options=options, image_cap=image_cap, n=n,
                per_request=images_per_request(model),
            )
        return ImageResponse(files=files, alt=prompt)

    @classmethod
    async def transcribe(
        cls,
        audio: bytes,
        *,
        filename: str,
        mime: str,
        session: aiohttp.ClientSession | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,  # noqa: ASYNC109 - per-request, part of the API
        proxy: str | None = None,
        language: str | None = None,
        **kwargs: Any,
    ) -> str:
        """``POST /audio/transcriptions`` with ``transcribe_model``: the text spoken in ``audio``."""
        if cls.transcribe_model is None:
            raise NotImplementedError(f"{cls.__name__} has no transcribe_model")
        options = cls._post_options(cls.build_headers(stream=False, form=True), proxy, resolve_timeout(timeout))
        return await transcription.transcribe(
            f"{cls.url}/audio/transcriptions", audio, model=cls.transcribe_model, filename=filename, mime=mime,
            language=language, label=cls.label, session=session, post_options=options,
        )
