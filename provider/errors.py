"""Exceptions raised by providers.

The reference implementation yields error strings as if the model had said them, which poisons chat
history and makes failover impossible. Every failure here is an exception instead: ``reason`` is a short
cause safe to show a user (no URLs, no secrets); ``str(err)`` may add detail for logs.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class: anything that went wrong while asking a provider.

    ``transient`` says whether the service looked unwell (unreachable, too slow, a 5xx or 429, a broken
    answer): trying again later may help, and a failover chain counts it against the provider's health.
    A request the service refuses (a 4xx) is not transient: the same request would be refused again.
    """

    transient: bool = True

    def __init__(self, reason: str, *, provider: str | None = None, detail: str | None = None) -> None:
        super().__init__(f"{reason} ({detail})" if detail else reason)
        self.reason = reason
        self.provider = provider


class ProviderHTTPError(ProviderError):
    """The provider (or the image host) answered with an HTTP error status."""

    def __init__(
        self,
        status: int,
        url: str,
        *,
        provider: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        reason = reason or f"{provider or 'the provider'} returned HTTP {status}"
        super().__init__(reason, provider=provider, detail=detail or f"HTTP {status} from {url}")
        self.status = status
        self.url = url
        self.transient = is_transient_status(status)


def is_transient_status(status: int) -> bool:
    """5xx, 429 (slow down) and 408 (request timeout) say the service is unwell; other 4xx refuse a request."""
    return status >= 500 or status in (408, 429)


class ProviderAuthError(ProviderHTTPError):
    """HTTP 401/403: credentials are missing or refused; retrying will not help."""


class ProviderContextLengthError(ProviderHTTPError):
    """HTTP 400/413: the conversation is longer than the model's context window; a shorter one may pass."""


class ProviderRateLimitError(ProviderHTTPError):
    """HTTP 429: the provider asks us to slow down, maybe saying for how long."""

    def __init__(
        self,
        status: int,
        url: str,
        *,
        retry_after: float | None = None,
        provider: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(status, url, provider=provider, reason=reason, detail=detail)
        self.retry_after = retry_after


class ProviderResponseError(ProviderError):
    """The provider answered, but not with something usable (bad JSON, no image, empty answer...)."""


class ProviderTimeoutError(ProviderError):
    """The request took longer than the configured timeout."""


class ProviderConnectionError(ProviderError):
    """The provider could not be reached, or the connection broke mid-answer."""


class ImageTooLargeError(ProviderError):
    """The generated image exceeds the download cap; the rest of it was not read."""

    transient = False  # the service works; it made a bigger image than we accept

    def __init__(
        self, limit: int, *, size: int | None = None, provider: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(f"the image is larger than {format_size(limit)}", provider=provider, detail=detail)
        self.limit = limit
        self.size = size


def format_size(n_bytes: int) -> str:
    """Render a byte count the way a person would say it ("20 MB"), for error reasons."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n_bytes} bytes"
