"""Which conversation an update belongs to, handed to handlers as `conversation` (workflow data).

One place applies GROUP_HISTORY: a message belongs to its chat's (or forum topic's) conversation, or in
per_user groups to its sender's own; a button press to the presser's, under the bot's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from ..config import Settings
from ..conversation import conversation_key


class ConversationOf(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        settings: Settings = data["settings"]
        if isinstance(event, Message):
            data["conversation"] = conversation_key(event, settings.group_history)
        elif isinstance(event, CallbackQuery) and isinstance(event.message, Message):
            data["conversation"] = conversation_key(event.message, settings.group_history,
                                                    user_id=event.from_user.id)
        return await handler(event, data)
