"""Who administers a group, asked of Telegram (getChatMember) and remembered for a few minutes."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from cachetools import TTLCache

logger = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})


class ChatAdmins:
    """A getChatMember per (chat, user) at most every `ttl` seconds: promotions and demotions show after that."""

    def __init__(self, ttl: float = 300.0, maxsize: int = 10_000) -> None:
        self._known: TTLCache[tuple[int, int], bool] = TTLCache(maxsize=maxsize, ttl=ttl)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        known = self._known.get(key)
        if known is not None:
            return known
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError as error:  # not remembered: the next request asks again
            logger.warning("chat=%s user=%s: getChatMember failed (%s); not an admin", chat_id, user_id, error)
            return False
        self._known[key] = admin = member.status in ADMIN_STATUSES
        return admin
