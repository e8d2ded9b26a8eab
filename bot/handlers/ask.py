"""/ask, replies to the bot's messages, and plain text in private chats: one conversation turn each."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from .. import texts
from ..config import Settings
from ..conversation import conversation_key, topic_id
from ..replies import AnswerSender
from ..services.chat import ChatService, TurnCancelled
from ..services.limits import RequestLimiter
from .input import clean_prompt, over_limit

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="ask")
    router.message.register(ask_command, Command("ask"))
    plain_text = F.text & ~F.text.startswith("/")
    router.message.register(ask_text, plain_text, F.chat.type == ChatType.PRIVATE)
    router.message.register(ask_text, plain_text, replies_to_me)
    return router


async def replies_to_me(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


async def ask_command(
    message: Message, command: CommandObject, chat_service: ChatService, answers: AnswerSender,
    settings: Settings, limiter: RequestLimiter,
) -> None:
    await answer_question(message, command.args or "", chat_service, answers, settings, limiter)


async def ask_text(
    message: Message, chat_service: ChatService, answers: AnswerSender, settings: Settings, limiter: RequestLimiter
) -> None:
    await answer_question(message, message.text or "", chat_service, answers, settings, limiter)


async def answer_question(
    message: Message, question: str, chat_service: ChatService, answers: AnswerSender, settings: Settings,
    limiter: RequestLimiter,
) -> None:
    question = clean_prompt(question)
    if not question:
        await message.reply(texts.ask_usage())
        return
    if len(question) > settings.max_prompt_chars:
        logger.info("chat=%s: question refused, %d chars > %d", message.chat.id, len(question),
                    settings.max_prompt_chars)
        await message.reply(texts.too_long(len(question), settings.max_prompt_chars))
        return
    if await over_limit(message, limiter, "ask"):
        return

    async def deliver_with_typing(chunks: AsyncIterator[str]) -> str:
        assert message.bot is not None
        async with ChatActionSender.typing(bot=message.bot, chat_id=message.chat.id,
                                           message_thread_id=topic_id(message)):
            return await answers.deliver(message, chunks)

    try:
        await chat_service.ask(conversation_key(message), question, deliver_with_typing,
                               on_queued=lambda: message.reply(texts.queued()))
    except TurnCancelled:
        logger.info("chat=%s: answer cancelled by the user", message.chat.id)
    except ProviderError as error:
        logger.warning("chat=%s: provider failed: %s", message.chat.id, error)
        await message.reply(texts.model_failed(error))
