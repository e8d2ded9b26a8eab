"""aiohttp plumbing shared by providers: timeouts, session ownership, error translation, status checks."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp

from .errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderTimeoutError,
)
from .helper import safe_url

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_TOTAL_TIMEOUT = 120.0
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=DEFAULT_TOTAL_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
_EXCERPT_BYTES = 300


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
        logger.debug("%s failed for %s: %r", subject, shown, exc)
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
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        return http_error(exc.status, url, subject=subject, provider=provider, retry_after=retry_after)
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return ProviderConnectionError("the proxy is unreachable", provider=provider, detail=cause)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ProviderConnectionError(f"{subject} is unreachable", provider=provider, detail=cause)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return ProviderConnectionError(f"the connection to {subject} was interrupted", provider=provider, detail=cause)
    return ProviderConnectionError(f"the request to {subject} failed", provider=provider, detail=cause)


async def raise_for_status(response: aiohttp.ClientResponse, *, subject: str, provider: str | None) -> None:
    """Raise the matching ``ProviderHTTPError`` for a 4xx/5xx answer; log a short body excerpt."""
    if response.status < 400:
        return
    excerpt = b""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        excerpt = await response.content.read(_EXCERPT_BYTES)
    logger.warning("%s answered HTTP %s for %s: %r", subject, response.status, safe_url(response.url), excerpt)
    raise http_error(
        response.status,
        str(response.url),
        subject=subject,
        provider=provider,
        retry_after=response.headers.get("Retry-After"),
    )


def http_error(
    status: int, url: str, *, subject: str, provider: str | None, retry_after: str | None = None
) -> ProviderHTTPError:
    """The ``ProviderHTTPError`` subclass for a status: auth (401/403), rate limit (429) or plain."""
    shown = safe_url(url)
    detail = f"HTTP {status} from {shown}"
    if status in (401, 403):
        return ProviderAuthError(
            status, shown, provider=provider, reason=f"{subject} refused access (HTTP {status})", detail=detail
        )
    if status == 429:
        return ProviderRateLimitError(
            status,
            shown,
            retry_after=parse_retry_after(retry_after),
            provider=provider,
            reason=f"{subject} is rate limiting requests (HTTP 429)",
            detail=detail,
        )
    reason = f"{subject} returned HTTP {status}"
    return ProviderHTTPError(status, shown, provider=provider, reason=reason, detail=detail)


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
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)
