"""Rate limits as a handler flag: `@router.message(Command("draw"), flags={"rate": "draw"})`.

Handlers without the flag are not limited. Runs as an inner middleware (after the filters, so only a request
a handler takes is counted) for messages and for callback queries: whoever pressed a button is counted like
whoever sent the command.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from .. import texts
from ..senders import event_chat, is_group, sender_id
from ..services.limits import Limited, RequestLimiter

logger = logging.getLogger(__name__)

RATE_FLAG = "rate"


class RateLimit(BaseMiddleware):
    """Reads the handler's "rate" flag (a limiter kind: "ask", "draw") and refuses requests over the limit,
    saying which limit (the sender's or the group's) and when it frees. The limiter comes from workflow data
    (`limiter`)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = get_flag(data, RATE_FLAG)
        sender = sender_id(event)
        if kind is None or sender is None:
            return await handler(event, data)
        limiter: RequestLimiter = data["limiter"]
        chat = event_chat(event)
        group_id = chat.id if chat is not None and is_group(chat) else None
        limited = await limiter.check(kind, sender, group_id)
        if limited is None:
            return await handler(event, data)
        text = texts.group_rate_limited(limited.wait, limited.rate) if limited.scope == "chat" \
            else texts.rate_limited(limited.wait, limited.rate)
        if isinstance(event, CallbackQuery):  # a button must always be answered, or it keeps spinning
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message) and limiter.first_notice(kind, limited, _notice_key(limited, sender, group_id)):
            await event.reply(text)
        return None


def _notice_key(limited: Limited, sender: int, group_id: int | None) -> int:
    return group_id if limited.scope == "chat" and group_id is not None else sender
