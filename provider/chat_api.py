"""OpenAI's chat completions API on the way back: the answer streamed as SSE ``delta`` chunks (or whole, as
one ``chat.completion``), the token count in its ``usage``, and the OpenAI-style error object every
endpoint may answer with (LiteLLM's quirks included).

Whatever the server says is passed through the API key's ``redact`` first, in case it echoed the key back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal

import aiohttp

from .errors import ProviderResponseError
from .helper import ApiKey, safe_url
from .http import ServerError, checked_post, read_sse_data, shorten, translate_errors
from .trim import trim_answer
from .types import Usage

_MESSAGE_CHARS = 1000  # of a server's error message kept for logs and details (reasons quote less)


async def stream_chat(
    http: aiohttp.ClientSession, endpoint: str, post_options: dict[str, Any], *, label: str, key: ApiKey | None
) -> AsyncGenerator[str | Usage, None]:
    """POST the chat request and yield each ``delta.content`` as it arrives, then the ``Usage`` if sent."""
    async with checked_post(http, endpoint, subject=label, **post_options) as response:
        kind = response.content_type
        if kind == "text/html":
            raise ProviderResponseError(
                f"{label} returned a web page instead of an answer",
                provider=label,
                detail=f"text/html from {safe_url(endpoint)}; is the base URL right?",
            )
        answer = _Answer(label, key)
        if kind == "application/json":  # a server that ignored "stream": true and answered at once
            texts = answer.texts(_whole_body(response, label, endpoint), "message")
        else:
            texts = answer.texts(read_sse_data(response, subject=label, url=endpoint), "delta")
        detail = f"no text in the {kind} response from {safe_url(endpoint)}"
        async with aclosing(trim_answer(texts, provider=label, detail=detail)) as pieces:
            async for piece in pieces:
                yield piece
        if answer.usage is not None:
            yield answer.usage


async def _whole_body(response: aiohttp.ClientResponse, label: str, endpoint: str) -> AsyncGenerator[bytes, None]:
    """The body of a non-streamed ``chat.completion`` answer, as the one item of a stream."""
    with translate_errors(label, endpoint, provider=label):
        raw = await response.read()
    yield raw


class _Answer:
    """One chat answer being read: the text of each JSON chunk, and the last ``usage`` any chunk carried."""

    def __init__(self, label: str, key: ApiKey | None) -> None:
        self.label = label
        self.key = key
        self.usage: Usage | None = None

    async def texts(
        self, chunks: AsyncGenerator[str | bytes, None], field: Literal["delta", "message"]
    ) -> AsyncGenerator[str, None]:
        """The text of each chunk; role-only, usage and other content-less chunks are skipped."""
        async with aclosing(chunks) as raws:
            async for raw in raws:
                text = self.choice_text(raw, field)
                if text:
                    yield text

    def choice_text(self, raw: str | bytes, field: str) -> str | None:
        """``choices[0].<field>.content`` of one JSON answer or chunk; an ``error`` object is raised; a
        ``usage`` object is kept."""
        label = self.label
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            detail = self.redact(f"not JSON: {raw[:120]!r}")
            raise ProviderResponseError(f"{label} sent a malformed answer", provider=label, detail=detail) from exc
        if not isinstance(payload, dict):
            return None
        if payload.get("error"):
            # An error event: in place of the first chunk, or mid-stream after a 200 (no [DONE] follows).
            message = self.redact(api_error(payload).message or "")
            reason = f"{label} reported an error: {shorten(message)}" if message else f"{label} reported an error"
            raise ProviderResponseError(reason, provider=label, detail=message or "no message")
        self.usage = Usage.from_json(payload.get("usage")) or self.usage
        choices = payload.get("choices")
        part = choices[0].get(field) if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        content = part.get("content") if isinstance(part, dict) else None
        return content if isinstance(content, str) else None

    def redact(self, text: str) -> str:
        """``text`` from the server, with the API key blanked out in case it was echoed back."""
        return self.key.redact(text) if self.key is not None else text


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
