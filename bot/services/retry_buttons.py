"""The 🔄 button under the latest answer of each conversation.

The button names the answer it redoes by a checksum of its text (`Retry.answer`), and a press is honoured
only while that is still the conversation's latest stored answer: the store, shared by every replica,
decides, so an old button is refused wherever it is pressed. Which message carries the button is
remembered in memory (per process, bounded): it is needed only to take the button off the previous answer
when a new one comes, and a replica that did not send it merely leaves an old (refused) button on screen.
"""

from __future__ import annotations

import logging
import zlib

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from cachetools import TTLCache

from .. import texts
from ..storage import ConversationKey

logger = logging.getLogger(__name__)


class Retry(CallbackData, prefix="retry"):
    answer: str  # answer_digest() of the answer the button is under


def answer_digest(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08x}"


class RetryButtons:
    def __init__(self, maxsize: int = 10_000, ttl: float = 48 * 3600) -> None:
        self._shown: TTLCache[ConversationKey, tuple[int, int]] = TTLCache(maxsize=maxsize, ttl=ttl)

    @staticmethod
    def markup(text: str) -> InlineKeyboardMarkup:
        """One button, under every answer: built directly, without InlineKeyboardBuilder's machinery."""
        button = InlineKeyboardButton(text=texts.retry_button(), callback_data=Retry(answer=answer_digest(text)).pack())
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    async def moved(self, bot: Bot, key: ConversationKey, latest: Message | None) -> None:
        """`latest` now carries the conversation's button: take it off the message that had it before."""
        previous = self._shown.pop(key, None)
        if latest is not None:
            self._shown[key] = (latest.chat.id, latest.message_id)
        if previous is None or (latest is not None and previous == (latest.chat.id, latest.message_id)):
            return
        try:
            await bot.edit_message_reply_markup(chat_id=previous[0], message_id=previous[1], reply_markup=None)
        except TelegramAPIError as error:  # deleted, too old: the button stays, and is refused when pressed
            logger.info("chat=%s: could not remove the previous 🔄 (%s)", previous[0], error.message)
