"""aiogram middlewares: cross-cutting rules applied before any handler runs."""

from __future__ import annotations

from aiogram import Dispatcher

from ..config import GuardSettings
from .access import AccessGuard
from .rate import RateLimit


def setup_guards(dispatcher: Dispatcher, guards: GuardSettings) -> None:
    """Access first (strangers cost no rate), then the handlers' "rate" flags; for messages and for button
    presses alike. Inner middlewares: they run only for events a handler takes, with its flags known."""
    access, rate = AccessGuard(guards), RateLimit()
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.middleware(access)
        observer.middleware(rate)
