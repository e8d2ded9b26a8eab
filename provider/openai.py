"""OpenAICompatible: any server speaking the OpenAI HTTP API (OpenAI, OpenRouter, Ollama, LM Studio, vLLM,
llama.cpp) for streamed chat and image generation.

Unlike AiChats the history goes over as it is (roles kept, a system prompt allowed), and the API key is
held so that it only ever reaches the ``Authorization`` header: never a log line, an error or a repr.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any, ClassVar

import aiohttp

from . import transcription
from .base import AsyncGeneratorProvider, HostLabel
from .content import json_body, without_images
from .errors import ProviderResponseError
from .helper import ApiKey, is_http_url, safe_url
from .http import (
    ServerError,
    checked_post,
    read_sse_data,
    resolve_timeout,
    run_request,
    session_scope,
    shorten,
    translate_errors,
)
from .image import resolve_max_image_bytes
from .image_api import edit_form, fit_size, generation_body, images_per_request, request_images
from .trim import trim_answer
from .types import ImageData, ImageResponse, Messages, Usage

logger = logging.getLogger(__name__)

_MESSAGE_CHARS = 1000  # of a server's error message kept for logs and details (reasons quote less)


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
    def build_headers(cls, *, stream: bool) -> dict[str, str]:
        """JSON in; an event stream (chat) or JSON (images) out; the bearer token only when a key is set."""
        headers = {"accept": "text/event-stream" if stream else "application/json", "content-type": "application/json"}
        if cls.api_key is not None:
            headers["authorization"] = cls.api_key.bearer()
        return headers

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
        prompt = messages[-1].get("content") if is_image else None
        if is_image:
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError("the last message must hold the image prompt")
            async with aclosing(
                cls._images(model, prompt, session, proxy, request_timeout, image_cap, n, size, image)
            ) as images:
                async for item in images:
                    yield item
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
        post_options: dict[str, Any] = {
            "data": body,
            "headers": {**cls.build_headers(stream=True), "content-length": str(length)},
            "proxy": proxy,
            "timeout": request_timeout,
            "explain": functools.partial(explain_error, key=cls.api_key),
            "refused": "the API key" if cls.api_key is not None else "access without an API key",
        }
        chat = functools.partial(cls._stream_chat, endpoint, post_options)
        async with aclosing(run_request(session, chat)) as chunks:
            async for chunk in chunks:
                yield chunk

    @classmethod
    async def _images(
        cls,
        model: str,
        prompt: str,
        session: aiohttp.ClientSession | None,
        proxy: str | None,
        request_timeout: aiohttp.ClientTimeout,
        image_cap: int,
        n: int,
        size: str | None,
        image: ImageData | None,
    ) -> AsyncGenerator[ImageResponse, None]:
        """One ``ImageResponse`` of ``n`` images: generated from ``prompt``, or ``image`` edited by it."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, not {n!r}")
        fitted = fit_size(model, size)
        headers = cls.build_headers(stream=False)
        if image is not None:
            endpoint = f"{cls.url}/images/edits"
            del headers["content-type"]  # aiohttp writes the multipart boundary

            def body(k: int) -> Any:
                return edit_form(model, prompt, image, k, fitted)
        else:
            endpoint = f"{cls.url}/images/generations"

            def body(k: int) -> Any:
                return json.dumps(generation_body(model, prompt, k, fitted)).encode()

        logger.debug("POST %s (model %r, %d images, size %s)", safe_url(endpoint), model, n, fitted)
        post_options: dict[str, Any] = {
            "headers": headers,
            "proxy": proxy,
            "timeout": request_timeout,
            "explain": functools.partial(explain_error, key=cls.api_key),
            "refused": "the API key" if cls.api_key is not None else "access without an API key",
        }
        async with session_scope(session) as http:
            files = await request_images(
                http, endpoint, label=cls.label, body=body, post_options=post_options, image_cap=image_cap, n=n,
                per_request=images_per_request(model),
            )
        yield ImageResponse(files=files, alt=prompt)

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
        headers = {"accept": "application/json"}
        if cls.api_key is not None:
            headers["authorization"] = cls.api_key.bearer()
        return await transcription.transcribe(
            f"{cls.url}/audio/transcriptions", audio, model=cls.transcribe_model, filename=filename, mime=mime,
            label=cls.label, headers=headers, explain=functools.partial(explain_error, key=cls.api_key),
            refused="the API key" if cls.api_key is not None else "access without an API key",
            language=language, session=session, timeout=timeout, proxy=proxy,
        )

    @classmethod
    async def _stream_chat(
        cls, endpoint: str, post_options: dict[str, Any], http: aiohttp.ClientSession
    ) -> AsyncGenerator[str | Usage, None]:
        """POST the chat request and yield each ``delta.content`` as it arrives, then the ``Usage`` if sent."""
        label = cls.label
        async with checked_post(http, endpoint, subject=label, **post_options) as response:
            kind = response.content_type
            if kind == "text/html":
                raise ProviderResponseError(
                    f"{label} returned a web page instead of an answer",
                    provider=label,
                    detail=f"text/html from {safe_url(endpoint)}; is the base URL right?",
                )
            counted: list[Usage] = []  # filled by the chunk (or whole answer) that carries `usage`
            if kind == "application/json":  # a server that ignored "stream": true and answered at once
                texts = cls._whole_answer(response, endpoint, counted)
            else:
                texts = cls._deltas(read_sse_data(response, subject=label, url=endpoint), counted)
            detail = f"no text in the {kind} response from {safe_url(endpoint)}"
            async with aclosing(trim_answer(texts, provider=label, detail=detail)) as pieces:
                async for piece in pieces:
                    yield piece
            if counted:
                yield counted[-1]

    @classmethod
    async def _deltas(cls, events: AsyncGenerator[str, None], counted: list[Usage]) -> AsyncGenerator[str, None]:
        """The text of each streamed chunk; role-only, usage and other content-less chunks are skipped."""
        async with aclosing(events) as datas:
            async for data in datas:
                text = cls._choice_text(data, "delta", counted)
                if text:
                    yield text

    @classmethod
    async def _whole_answer(
        cls, response: aiohttp.ClientResponse, endpoint: str, counted: list[Usage]
    ) -> AsyncGenerator[str, None]:
        """The one chunk of a non-streamed ``chat.completion`` answer."""
        with translate_errors(cls.label, endpoint, provider=cls.label):
            raw = await response.read()
        text = cls._choice_text(raw, "message", counted)
        if text:
            yield text

    @classmethod
    def _choice_text(cls, raw: str | bytes, field: str, counted: list[Usage]) -> str | None:
        """``choices[0].<field>.content`` of one JSON answer or chunk; an ``error`` object is raised; a
        ``usage`` object is added to ``counted``."""
        label = cls.label
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            detail = cls._redact(f"not JSON: {raw[:120]!r}")
            raise ProviderResponseError(f"{label} sent a malformed answer", provider=label, detail=detail) from exc
        if isinstance(payload, dict) and payload.get("error"):
            # An error event: in place of the first chunk, or mid-stream after a 200 (no [DONE] follows).
            message = cls._redact(api_error_message(payload) or "")
            reason = f"{label} reported an error: {shorten(message)}" if message else f"{label} reported an error"
            raise ProviderResponseError(reason, provider=label, detail=message or "no message")
        usage = Usage.from_json(payload.get("usage")) if isinstance(payload, dict) else None
        if usage is not None:
            counted.append(usage)
        choices = payload.get("choices") if isinstance(payload, dict) else None
        part = choices[0].get(field) if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        content = part.get("content") if isinstance(part, dict) else None
        return content if isinstance(content, str) else None

    @classmethod
    def _redact(cls, text: str) -> str:
        """``text`` from the server, with the API key blanked out in case it was echoed back."""
        return cls.api_key.redact(text) if cls.api_key is not None else text


def api_error_message(payload: object) -> str | None:
    """The human message of an OpenAI-style error (``{"error": {"message": ...}}`` or a bare string)."""
    return api_error(payload).message


def api_error(payload: object) -> ServerError:
    """The message and code of an OpenAI-style error: ``{"error": {"message", "type", "code"}}`` (LiteLLM
    puts the HTTP status in ``code`` as a string), a bare ``{"error": "..."}``, or ``{"detail": ...}``.
    """
    if not isinstance(payload, dict):
        return ServerError(None)
    error = payload.get("error")
    code: object = None
    if isinstance(error, dict):
        message = error.get("message") or error.get("code") or error.get("type")
        code = error.get("code")
    else:
        message = error or payload.get("message") or payload.get("detail")
    return ServerError(
        str(message)[:_MESSAGE_CHARS] if message else None, str(code) if isinstance(code, str | int) else None
    )


def explain_error(body: bytes, *, key: ApiKey | None) -> ServerError:
    """What an error body says, with the API key blanked out: an OpenAI-style error object, or a plain-text
    body (LiteLLM answers some failures in text/plain); a web page says nothing useful and is left out.
    """
    try:
        said = api_error(json.loads(body))
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        said = ServerError(text[:_MESSAGE_CHARS] if text and not text.startswith("<") else None)
    if said.message is not None and key is not None:
        said = ServerError(key.redact(said.message), said.code)
    return said
