"""Who administers a group, asked of Telegram (getChatMember) and remembered for a few minutes."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from cachetools import TTLCache

logger = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})


class ChatAdmins:
    """A getChatMember per (chat, user) at most every `ttl` seconds: promotions and demotions show after that.
    Requests arriving together share one lookup; a failed lookup is not remembered."""

    def __init__(self, ttl: float = 300.0, maxsize: int = 10_000) -> None:
        self._known: TTLCache[tuple[int, int], asyncio.Future[bool]] = TTLCache(maxsize=maxsize, ttl=ttl)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        lookup = self._known.get(key)
        if lookup is None:
            lookup = self._known[key] = asyncio.ensure_future(self._ask(bot, chat_id, user_id))
        try:
            return await asyncio.shield(lookup)  # one waiter's cancellation must not cancel the others'
        except TelegramAPIError as error:
            if self._known.get(key) is lookup:
                del self._known[key]  # the next request asks again
            logger.warning("chat=%s user=%s: getChatMember failed (%s); not an admin", chat_id, user_id, error)
            return False

    @staticmethod
    async def _ask(bot: Bot, chat_id: int, user_id: int) -> bool:
        member = await bot.get_chat_member(chat_id, user_id)
        return member.status in ADMIN_STATUSES
