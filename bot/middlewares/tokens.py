"""DAILY_TOKENS: a sender who has spent the day's tokens is refused before any question reaches the model.

Applies to every handler with the "ask" rate flag (questions, /retry, 🔄), as an inner middleware after
the access guard and before the rate limit (a refused request costs no rate). Admins are exempt. The
`usage` service comes from workflow data; without one nothing is limited.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from .. import texts
from ..senders import sender_id
from ..services.usage import UsageService

logger = logging.getLogger(__name__)


class DailyTokens(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        usage: UsageService | None = data.get("usage")
        sender = sender_id(event)
        if usage is None or usage.daily_tokens is None or sender is None or get_flag(data, "rate") != "ask":
            return await handler(event, data)
        if not await usage.refuses(sender):
            return await handler(event, data)
        logger.info("user=%s: refused, %d daily tokens used", sender, usage.daily_tokens)
        text = texts.tokens_exhausted(usage.daily_tokens, usage.resets_at())
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.reply(text)
        return None
