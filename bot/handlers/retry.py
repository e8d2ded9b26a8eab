"""/retry and the 🔄 button: the conversation's last question answered again, replacing the stored answer.

Both pass the "ask" guards (rate flag, daily tokens, access). A button under an answer that is no longer
the latest is refused with an alert; a press is answered (a toast) before the work starts.
"""

from __future__ import annotations

import functools
import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from .. import texts
from ..senders import sender_id
from ..services.chat import ChatService, NothingToRetry
from ..services.retry_buttons import Retry, answer_digest
from ..storage import ConversationKey
from ..turns import Turns
from .ask import ASK

logger = logging.getLogger(__name__)

def build_router() -> Router:
    router = Router(name="retry")
    router.message.register(retry_command, Command("retry"), flags=ASK)
    router.callback_query.register(retry_button, Retry.filter(), flags=ASK)
    return router


async def retry_command(message: Message, conversation: ConversationKey, turns: Turns) -> None:
    try:
        await turns.retry(message, conversation, user_id=sender_id(message))
    except NothingToRetry:
        await message.reply(texts.nothing_to_retry())


async def retry_button(
    callback: CallbackQuery, callback_data: Retry, chat_service: ChatService, turns: Turns,
    conversation: ConversationKey | None = None,
) -> None:
    answer = callback.message
    if not isinstance(answer, Message) or conversation is None:  # too old for Telegram to show it to the bot
        await callback.answer(texts.retry_not_latest(), show_alert=True)
        return
    latest = functools.partial(_is, callback_data.answer)
    if not await chat_service.is_latest_answer(conversation, latest):
        logger.info("chat=%s: 🔄 under an older answer refused", answer.chat.id)
        await callback.answer(texts.retry_not_latest(), show_alert=True)
        return
    await callback.answer(texts.retrying())
    try:
        await turns.retry(answer, conversation, user_id=callback.from_user.id, answered=latest)
    except NothingToRetry:  # another answer came between the press and the turn
        await answer.reply(texts.retry_not_latest())


def _is(digest: str, text: str) -> bool:
    return answer_digest(text) == digest
