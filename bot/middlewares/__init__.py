"""aiogram middlewares: cross-cutting rules applied before any handler runs."""

from __future__ import annotations

from aiogram import Dispatcher

from .access import AccessGuard
from .rate import RateLimit
from .tokens import DailyTokens


def setup_guards(dispatcher: Dispatcher) -> None:
    """Access first (strangers cost no rate), then DAILY_TOKENS for questions, then the handlers' "rate" flags;
    for messages and for button presses alike. Inner middlewares: they run only for events a handler takes,
    with its flags known."""
    access, tokens, rate = AccessGuard(), DailyTokens(), RateLimit()
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.middleware(access)
        observer.middleware(tokens)
        observer.middleware(rate)
