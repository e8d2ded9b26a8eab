"""aiohttp plumbing shared by providers: timeouts, session ownership, error translation, status checks."""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import json
import logging
import math
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

import aiohttp

from .errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderContextLengthError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from .helper import safe_url
from .sse import iter_sse_data

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_TOTAL_TIMEOUT = 120.0
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=DEFAULT_TOTAL_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
_EXCERPT_BYTES = 300
_READ_CHUNK = 64 * 1024
_ERROR_BODY_BYTES = 4096  # enough for any JSON error object; longer bodies are not worth reading
_REASON_MESSAGE_CHARS = 200  # how much of a server's own error message a user-facing reason quotes
# Retry-After as servers send it; LiteLLM renames the upstream's header with its "llm_provider-" prefix.
RETRY_AFTER_HEADERS = ("Retry-After", "llm_provider-retry-after")
# What a context window overflow says across servers: OpenAI's message and code, LiteLLM's exception name,
# vLLM/llama.cpp/Ollama wordings. Only looked for in 400/413 answers.
_CONTEXT_LENGTH = re.compile(
    r"context[ _-]?length|context[ _-]?window|ContextWindowExceeded|maximum context|too many tokens"
    r"|exceeds? the (?:model'?s? )?(?:maximum )?(?:context|token)",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class ServerError:
    """What an error body says: the server's message (already free of secrets) and its error code, if any."""

    message: str | None
    code: str | None = None


Explain = Callable[[bytes], ServerError]
"""Turns the start of an error body into what it says, with secrets removed, for logs and error reasons."""


def shorten(text: str, limit: int = _REASON_MESSAGE_CHARS) -> str:
    """``text`` on one line, cut to about ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def retry_after_header(headers: Any) -> str | None:
    """The wait a 429 names, under either of its names (``RETRY_AFTER_HEADERS``)."""
    values = (headers.get(name) for name in RETRY_AFTER_HEADERS) if headers else ()
    return next((str(value) for value in values if value), None)


def is_context_length_error(status: int, said: ServerError) -> bool:
    """Whether an error answer says the conversation does not fit the model's context window."""
    if said.code == "context_length_exceeded":
        return True
    return status in (400, 413) and bool(said.message) and _CONTEXT_LENGTH.search(said.message or "") is not None


def resolve_timeout(timeout: aiohttp.ClientTimeout | float | None) -> aiohttp.ClientTimeout:
    """Normalise the ``timeout=`` option: None → connect 10 s / total 120 s; a number → total seconds.

    The result is passed on each request (not on the session) so it also applies to a caller's session.
    """
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be an aiohttp.ClientTimeout or a number of seconds, not {timeout!r}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout!r}")
    return aiohttp.ClientTimeout(total=float(timeout), connect=DEFAULT_CONNECT_TIMEOUT)


@contextlib.asynccontextmanager
async def session_scope(session: aiohttp.ClientSession | None) -> AsyncIterator[aiohttp.ClientSession]:
    """Use the caller's session (left open: it is theirs) or open one just for this call and close it."""
    if session is not None:
        yield session
        return
    async with aiohttp.ClientSession() as own:
        yield own


@contextlib.contextmanager
def translate_errors(subject: str, url: str, *, provider: str | None) -> Iterator[None]:
    """Turn aiohttp/timeout failures inside the block into ``ProviderError`` subclasses.

    ``subject`` names who failed in the user-facing reason ("ai-chats.org", "the image host"). Timeouts are
    checked first: aiohttp's ``ServerTimeoutError`` is both a ``TimeoutError`` and a connection error.
    Wrap only I/O in this, never a ``yield`` to the caller, so their exceptions are not rewritten.
    """
    shown = safe_url(url)
    try:
        yield
    except ProviderError:
        raise
    except (TimeoutError, aiohttp.ClientError) as exc:
        # str, not repr: the repr of aiohttp's response errors includes the request headers (Authorization).
        logger.debug("%s failed for %s: %s: %s", subject, shown, type(exc).__name__, exc)
        raise _translate(exc, subject, url, shown, provider) from exc


def _translate(
    exc: TimeoutError | aiohttp.ClientError, subject: str, url: str, shown: str, provider: str | None
) -> ProviderError:
    """Pick the ``ProviderError`` for an aiohttp/timeout failure; order matters (timeouts first)."""
    cause = f"{shown}: {type(exc).__name__}: {exc}"
    if isinstance(exc, TimeoutError):
        return ProviderTimeoutError(
            f"{subject} timed out", provider=provider, detail=f"no complete answer from {shown} in time"
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return ProviderConnectionError(
            f"the proxy refused to connect to {subject}", provider=provider, detail=f"HTTP {exc.status}"
        )
    if isinstance(exc, aiohttp.ClientResponseError):  # e.g. a caller's session with raise_for_status=True
        retry_after = retry_after_header(exc.headers)
        return http_error(exc.status, url, subject=subject, provider=provider, retry_after=retry_after)
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return ProviderConnectionError("the proxy is unreachable", provider=provider, detail=cause)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ProviderConnectionError(f"{subject} is unreachable", provider=provider, detail=cause)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return ProviderConnectionError(f"the connection to {subject} was interrupted", provider=provider, detail=cause)
    return ProviderConnectionError(f"the request to {subject} failed", provider=provider, detail=cause)


async def raise_for_status(
    response: aiohttp.ClientResponse,
    *,
    subject: str,
    provider: str | None,
    explain: Explain | None = None,
    refused: str = "access",
) -> None:
    """Raise the matching ``ProviderHTTPError`` for a 4xx/5xx answer and log why.

    Without ``explain`` a short raw excerpt of the body is logged. With it (an API), only what ``explain``
    makes of the body is logged and quoted in the error, so it can drop secrets.
    """
    if response.status < 400:
        return
    body = b""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        body = await response.content.read(_ERROR_BODY_BYTES if explain else _EXCERPT_BYTES)
    said = explain(body) if explain else ServerError(None)
    shown = safe_url(response.url)
    logged = repr(body) if explain is None else (said.message or f"<{len(body)} bytes, no error message>")
    logger.warning("%s answered HTTP %s for %s: %s", subject, response.status, shown, logged)
    raise http_error(
        response.status, str(response.url), subject=subject, provider=provider, message=said.message,
        code=said.code, refused=refused, retry_after=retry_after_header(response.headers),
    )


def http_error(
    status: int,
    url: str,
    *,
    subject: str,
    provider: str | None,
    retry_after: str | None = None,
    message: str | None = None,
    code: str | None = None,
    refused: str = "access",
) -> ProviderHTTPError:
    """The ``ProviderHTTPError`` subclass for a status: auth (401/403), rate limit (429), context length
    (``is_context_length_error``) or plain.

    ``refused`` names what a 401/403 turned down ("the API key"); ``message`` is the server's own
    explanation (free of secrets: ``Explain`` removed them): kept whole in the detail, and quoted
    shortened in the reason, since it is often the only useful thing to tell a user.
    """
    shown = safe_url(url)
    detail = f"HTTP {status} from {shown}: {message}" if message else f"HTTP {status} from {shown}"
    quoted = f": {shorten(message)}" if message else ""
    if status in (401, 403):
        reason = f"{subject} refused {refused} (HTTP {status}){quoted}"
        return ProviderAuthError(status, shown, provider=provider, reason=reason, detail=detail)
    if status == 429:
        reason = f"{subject} is rate limiting requests (HTTP 429){quoted}"
        wait = parse_retry_after(retry_after)
        return ProviderRateLimitError(status, shown, retry_after=wait, provider=provider, reason=reason, detail=detail)
    reason = f"{subject} returned HTTP {status}{quoted}"
    if is_context_length_error(status, ServerError(message, code)):
        return ProviderContextLengthError(status, shown, provider=provider, reason=reason, detail=detail)
    return ProviderHTTPError(status, shown, provider=provider, reason=reason, detail=detail)


@contextlib.asynccontextmanager
async def checked_post(
    http: aiohttp.ClientSession,
    url: str,
    *,
    subject: str,
    explain: Explain | None = None,
    refused: str = "access",
    **options: Any,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """POST, map failures and error statuses to ``ProviderError``, and yield a successful response.

    ``subject`` is also the error's provider label. The ``yield`` sits outside ``translate_errors`` so
    the caller's own exceptions pass through unchanged; the response is released on the way out.
    """
    with translate_errors(subject, url, provider=subject):
        response = await http.post(url, **{**options, "raise_for_status": False})
    async with response:
        with translate_errors(subject, url, provider=subject):
            await raise_for_status(response, subject=subject, provider=subject, explain=explain, refused=refused)
        yield response


async def read_sse_data(
    response: aiohttp.ClientResponse, *, subject: str, url: str, dispatch_incomplete: bool = False
) -> AsyncGenerator[str, None]:
    """Each SSE event's data from ``response`` as it arrives (until ``[DONE]``); failures are mapped."""
    stream = iter_sse_data(response.content.iter_any(), dispatch_incomplete=dispatch_incomplete)
    async with aclosing(stream) as texts:
        while True:
            with translate_errors(subject, url, provider=subject):
                try:
                    text = await anext(texts)
                except StopAsyncIteration:
                    return
            yield text


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """The body, or None (and the connection dropped) as soon as it passes ``max_bytes``: the rest is never read."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await response.content.read(min(_READ_CHUNK, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            response.close()
            return None
        chunks.append(chunk)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def decode_json(raw: bytes, *, subject: str) -> Any:
    """Parse a JSON answer; anything else is a ``ProviderResponseError`` naming ``subject``."""
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ProviderResponseError(
            f"{subject} returned a response that is not JSON", provider=subject, detail=f"{raw[:120]!r}"
        ) from exc
