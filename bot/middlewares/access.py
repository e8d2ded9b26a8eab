"""ALLOWED_USERS / ALLOWED_CHATS: strangers get one polite refusal per chat and hour, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from cachetools import TTLCache

from .. import texts
from ..config import GuardSettings

logger = logging.getLogger(__name__)


class AccessGuard(BaseMiddleware):
    """An inner message middleware: it runs only for messages a handler would take, so group chatter
    that is not addressed to the bot never triggers a refusal."""

    def __init__(self, guards: GuardSettings, refusal_interval: float = 3600.0) -> None:
        self._guards = guards
        self._refused: TTLCache[int, bool] = TTLCache(maxsize=100_000, ttl=refusal_interval)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Message)
        user_id = event.from_user.id if event.from_user else None
        if self._guards.allows(user_id, event.chat.id):
            return await handler(event, data)
        logger.info("chat=%s user=%s: not allowed; request dropped", event.chat.id, user_id)
        if event.chat.id not in self._refused:
            self._refused[event.chat.id] = True
            await event.reply(texts.not_allowed(user_id))
        return None
