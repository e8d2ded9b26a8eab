"""/retry and the 🔄 button: the conversation's last question answered again, replacing the stored answer.

Both pass the "ask" guards (rate flag, daily tokens, access). A button under an answer that is no longer
the latest is refused with an alert; a press is answered (a toast) before the work starts.
"""

from __future__ import annotations

import functools
import logging

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from .. import texts
from ..replies import AnswerSender
from ..senders import sender_id
from ..services.chat import ChatService, NothingToRetry
from ..services.retry_buttons import Retry, RetryButtons, answer_digest
from ..storage import ConversationKey
from ..turns import run_turn
from .ask import ASK

logger = logging.getLogger(__name__)

def build_router() -> Router:
    router = Router(name="retry")
    router.message.register(retry_command, Command("retry"), flags=ASK)
    router.callback_query.register(retry_button, Retry.filter(), flags=ASK)
    return router


async def retry_command(
    message: Message, conversation: ConversationKey, bot: Bot, chat_service: ChatService, answers: AnswerSender,
    retry_buttons: RetryButtons,
) -> None:
    start = functools.partial(chat_service.retry, conversation, user_id=sender_id(message))
    try:
        await run_turn(message, conversation, start, bot=bot, answers=answers, buttons=retry_buttons)
    except NothingToRetry:
        await message.reply(texts.nothing_to_retry())


async def retry_button(
    callback: CallbackQuery, callback_data: Retry, bot: Bot, chat_service: ChatService, answers: AnswerSender,
    retry_buttons: RetryButtons, conversation: ConversationKey | None = None,
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
    start = functools.partial(chat_service.retry, conversation, answered=latest, user_id=callback.from_user.id)
    try:
        await run_turn(answer, conversation, start, bot=bot, answers=answers, buttons=retry_buttons)
    except NothingToRetry:  # another answer came between the press and the turn
        await answer.reply(texts.retry_not_latest())


def _is(digest: str, text: str) -> bool:
    return answer_digest(text) == digest
