"""Texts of /model and /stats, and of a provider's failure with the advice that fits it."""


from __future__ import annotations

from collections.abc import Sequence
from html import escape

from provider import (
    AllProvidersFailedError,
    CapabilityStatus,
    ProviderContextLengthError,
    ProviderError,
    ProviderStatus,
)

from ..i18n import _, ngettext, number


def stats(conversations: int, turns: int, statuses: Sequence[ProviderStatus]) -> str:
    lines = [
        _("<b>Stored</b>"),
        ngettext("{count} conversation", "{count} conversations", conversations).format(count=number(conversations))
        + ", "
        + ngettext("{count} message", "{count} messages", turns).format(count=number(turns)),
        "",
        _("<b>Providers since start</b>"),
    ]
    for s in statuses:
        images = s.images if s.images is not None and s.images.requests else None
        requests, errors = s.requests + (images.requests if images else 0), s.errors + (images.errors if images else 0)
        line = f"{escape(s.label)}: {_counts(requests, errors)}"
        if images is not None:
            # Translators: /stats: how many of a provider's requests (and errors) were drawings.
            line += " " + _("(images: {counts})").format(counts=_counts(images.requests, images.errors))
        lines.append(line)
    return "\n".join(lines)


def _counts(requests: int, errors: int) -> str:
    return (
        ngettext("{count} request", "{count} requests", requests).format(count=number(requests))
        + ", "
        + ngettext("{count} error", "{count} errors", errors).format(count=number(errors))
    )


def _advice(error: ProviderError | str) -> str:
    """What the failure calls for: "context" (start afresh), "later" (the service is unwell) or "refused"."""
    if isinstance(error, str):
        return "later"
    errors = error.errors if isinstance(error, AllProvidersFailedError) else [error]
    if any(isinstance(e, ProviderContextLengthError) for e in errors):
        return "context"
    return "later" if error.transient else "refused"


def model_failed(error: ProviderError | str) -> str:
    """The reason comes from provider/ in English and is inserted as it is; the advice fits the error."""
    reason = escape(error if isinstance(error, str) else error.reason)
    advice = _advice(error)
    if advice == "context":
        return _(
            "The model did not answer: {reason}. The conversation is too long for it: send /reset to start a new one."
        ).format(reason=reason)
    if advice == "refused":
        return _(
            "The model did not answer: {reason}. The provider refused the request, so trying again will not help; "
            "if this goes on, tell the bot's owner."
        ).format(reason=reason)
    return _("The model did not answer: {reason}. Try again later.").format(reason=reason)


def image_failed(error: ProviderError | str) -> str:
    reason = escape(error if isinstance(error, str) else error.reason)
    if _advice(error) == "later":
        return _("I could not draw that: {reason}. Try again later.").format(reason=reason)
    return _(
        "I could not draw that: {reason}. The provider refused the request: try another description, "
        "or tell the bot's owner if this goes on."
    ).format(reason=reason)


def provider_chain(statuses: Sequence[ProviderStatus]) -> str:
    lines = [_("<b>Model providers</b>, in the order they are tried:")]
    for position, status in enumerate(statuses, start=1):
        name = escape(status.label)
        if status.kind and status.kind != status.label:
            name += f" ({escape(status.kind)})"
        line = f"{position}. {name} — {escape(status.model)}: {_provider_state(status.chat)}"
        if status.last_error and not status.healthy:
            line += "\n    " + _("last error: {error}").format(error=escape(status.last_error))
        if status.image_model and status.images is not None:
            images = status.images
            # Translators: /model: the provider's image capability, which has its own health.
            line += "\n    " + _("draws with {image_model}: {state}").format(
                image_model=escape(status.image_model), state=_provider_state(images)
            )
            if images.last_error and not images.healthy:
                line += "\n    " + _("last error: {error}").format(error=escape(images.last_error))
        lines.append(line)
    return "\n".join(lines)


def _provider_state(status: CapabilityStatus) -> str:
    failures = status.failures
    # Translators: follows "skipped for {seconds} s" or "on trial" in /model, e.g. "on trial after 3 failures".
    after = ngettext("after {failures} failure", "after {failures} failures", failures).format(failures=failures)
    if status.healthy:
        return _("healthy ✅")
    if status.state == "open":
        wait = round(status.retry_in or 0)
        # Translators: /model: a provider that failed too often is not asked for {seconds} more seconds.
        skipped = ngettext("skipped for {seconds} s", "skipped for {seconds} s", wait).format(seconds=number(wait))
        return f"{skipped} {after} ⛔"
    if status.state == "half-open":
        # Translators: /model: a provider that failed is being tried again with one request.
        return _("on trial") + f" {after} ⚠️"
    return ngettext("failing ({failures} in a row)", "failing ({failures} in a row)", failures).format(
        failures=failures
    ) + " ⚠️"
