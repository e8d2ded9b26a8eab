"""Fitting a conversation into what the model can read: whole exchanges, newest first, within HISTORY_CHARS.

An exchange is a question with the answers that follow it. The oldest exchanges are left out first; an
exchange is never cut in half, and the new question is always sent. After the model still refused the
context as too long, `halve` keeps the newer half of what was sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provider import AllProvidersFailedError, ProviderContextLengthError, ProviderError

from ..storage import Turn


def exchanges(history: Sequence[Turn]) -> list[list[Turn]]:
    """The history cut before each question; answers before the first question form an exchange of their own."""
    found: list[list[Turn]] = []
    for turn in history:
        if turn.role == "user" or not found:
            found.append([turn])
        else:
            found[-1].append(turn)
    return found


def fit_history(history: Sequence[Turn], budget: int) -> list[Turn]:
    """The newest whole exchanges whose characters together stay within `budget` (0 or less: none)."""
    kept: list[list[Turn]] = []
    used = 0
    for exchange in reversed(exchanges(history)):
        size = sum(len(turn.content) for turn in exchange)
        if used + size > budget:
            break  # an older exchange that would fit after a skipped one would leave a gap: stop here
        kept.append(exchange)
        used += size
    return [turn for exchange in reversed(kept) for turn in exchange]


def halve(history: Sequence[Turn]) -> list[Turn]:
    """The newer half of the exchanges (rounded down: one exchange of history becomes none)."""
    whole = exchanges(history)
    return [turn for exchange in whole[len(whole) - len(whole) // 2 :] for turn in exchange]


def is_context_error(error: ProviderError) -> bool:
    """The model refused the request as longer than its context window (any member of a chain)."""
    errors = error.errors if isinstance(error, AllProvidersFailedError) else [error]
    return any(isinstance(e, ProviderContextLengthError) for e in errors)


def message_chars(message: dict[str, Any]) -> int:
    """The characters of a provider message: its text, or the text parts of a content list (images count
    none here)."""
    content = message.get("content")
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(part.get("text") or "") for part in content if isinstance(part, dict))
    return 0
