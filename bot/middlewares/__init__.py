"""aiogram middlewares: cross-cutting rules applied before any handler runs."""

from __future__ import annotations

from aiogram import Dispatcher

from .access import AccessGuard
from .conversation import ConversationOf
from .rate import RateLimit
from .tokens import DailyTokens


def setup_middlewares(dispatcher: Dispatcher) -> None:
    """For messages and button presses alike: the update's `conversation`, then the guards: access first
    (strangers cost no rate), then DAILY_TOKENS for questions, then the handlers' "rate" flags. Inner
    middlewares: they run only for events a handler takes, with its flags known."""
    conversation, access, tokens, rate = ConversationOf(), AccessGuard(), DailyTokens(), RateLimit()
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.middleware(conversation)
        observer.middleware(access)
        observer.middleware(tokens)
        observer.middleware(rate)
