"""ALLOWED_USERS / ALLOWED_CHATS: strangers get one polite refusal per chat and hour, nothing more.

The sender is `senders.sender_id`: a message sent as a channel is checked by the channel's id (ALLOWED_USERS
may list it), one sent as the group by an anonymous admin by the group's id, which is also the chat, so an
ALLOWED_CHATS group's anonymous admins are let in. The placeholder accounts' ids never count.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from cachetools import TTLCache

from .. import texts
from ..config import Settings
from ..senders import event_chat, sender_id, speaks_as_chat

logger = logging.getLogger(__name__)


class AccessGuard(BaseMiddleware):
    """An inner middleware for messages and callback queries: it runs only for events a handler would take,
    so group chatter that is not addressed to the bot never triggers a refusal. The lists come from workflow
    data (`settings`)."""

    def __init__(self, refusal_interval: float = 3600.0) -> None:
        self._refused: TTLCache[int, bool] = TTLCache(maxsize=100_000, ttl=refusal_interval)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender = sender_id(event)
        chat = event_chat(event)
        chat_id = chat.id if chat is not None else sender
        if chat_id is not None and _allows(data["settings"], sender, chat_id):
            return await handler(event, data)
        logger.info("chat=%s sender=%s: not allowed; request dropped", chat_id, sender)
        if isinstance(event, CallbackQuery):  # answered every time: an unanswered button keeps spinning
            await event.answer(texts.private_bot(), show_alert=True)
        elif isinstance(event, Message) and event.chat.id not in self._refused:
            self._refused[event.chat.id] = True
            await event.reply(texts.not_allowed(sender, as_chat=speaks_as_chat(event)))
        return None


def _allows(settings: Settings, user_id: int | None, chat_id: int) -> bool:
    """Everyone when neither list is set; otherwise a listed user, a listed chat or one of the ADMINS."""
    if not (settings.allowed_users or settings.allowed_chats):
        return True
    return user_id in settings.allowed_users or user_id in settings.admins or chat_id in settings.allowed_chats
