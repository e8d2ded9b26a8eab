"""/ask, replies to the bot's messages, and plain text in private chats: one conversation turn each.

Guards are declared: the "ask" rate flag (RateLimit middleware) and the Prompt filter; a request the filter
refuses (nothing to ask, or too long) falls through to `explain_prompt`, which costs no rate.
"""

from __future__ import annotations

import functools
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
from ..filters import Prompt
from ..replies import AnswerSender
from ..services.chat import ChatService, TurnCancelled
from ..services.inputs import Question
from ..services.locks import ConversationBusy
from ..services.media import MediaRefused, MediaService
from ..services.prompts import clean_prompt

logger = logging.getLogger(__name__)

ASK = {"rate": "ask"}


def build_router() -> Router:
    router = Router(name="ask")
    router.message.register(answer_question, Command("ask"), Prompt(quote=True), flags=ASK)
    router.message.register(explain_prompt, Command("ask"))
    plain_text = F.text & ~F.text.startswith("/")
    for addressed in (F.chat.type == ChatType.PRIVATE, replies_to_me):
        router.message.register(answer_question, plain_text, addressed, Prompt(quote=True), flags=ASK)
        router.message.register(explain_prompt, plain_text, addressed)
    return router


async def replies_to_me(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


async def explain_prompt(message: Message, settings: Settings, command: CommandObject | None = None) -> None:
    """What Prompt refused: nothing visible to ask, or a question over MAX_PROMPT_CHARS."""
    question = clean_prompt(command.args or "" if command is not None else message.text or "")
    if len(question) > settings.max_prompt_chars:
        logger.info("chat=%s: question refused, %d chars > %d", message.chat.id, len(question),
                    settings.max_prompt_chars)
        await message.reply(texts.too_long(len(question), settings.max_prompt_chars))
    else:
        await message.reply(texts.ask_usage())


async def answer_question(
    message: Message, prompt: str | Question, chat_service: ChatService, answers: AnswerSender,
    media: MediaService | None = None,
) -> None:
    """One turn, whatever the input was (text here; photos, voice, documents from handlers/media.py)."""
    async def deliver_with_typing(chunks: AsyncIterator[str]) -> str:
        assert message.bot is not None
        async with ChatActionSender.typing(bot=message.bot, chat_id=message.chat.id,
                                           message_thread_id=topic_id(message)):
            return await answers.deliver(message, chunks)

    try:
        images = functools.partial(media.image_uri, message.bot) if media is not None and message.bot else None
        await chat_service.ask(conversation_key(message), prompt, deliver_with_typing,
                               on_queued=lambda: message.reply(texts.queued()), images=images)
    except TurnCancelled:  # parts already sent stay on screen: say that the answer ends there
        logger.info("chat=%s: answer cancelled by the user", message.chat.id)
        await message.reply(texts.cancelled())
    except MediaRefused as refused:  # e.g. the photo asked about can no longer be downloaded
        logger.info("chat=%s: input refused: %s", message.chat.id, refused.why)
        await message.reply(refused.reply)
    except ConversationBusy as error:
        logger.warning("chat=%s: conversation busy: %s", message.chat.id, error)
        await message.reply(texts.conversation_busy())
    except ProviderError as error:
        logger.warning("chat=%s: provider failed: %s", message.chat.id, error)
        await message.reply(texts.model_failed(error))
