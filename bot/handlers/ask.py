"""/ask, replies to the bot's messages, and plain text in private chats: one conversation turn each.

Guards are declared: the "ask" rate flag (RateLimit middleware) and the Prompt filter; a request the filter
refuses (nothing to ask, or too long) falls through to `explain_prompt`, which costs no rate.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from .. import texts
from ..config import Settings
from ..filters import Prompt
from ..services.inputs import Question
from ..services.prompts import clean_prompt
from ..storage import ConversationKey
from ..turns import Turns

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
    message: Message, prompt: str | Question, conversation: ConversationKey, turns: Turns
) -> None:
    """One turn, whatever the input was (text here; photos, voice, documents from handlers/media.py)."""
    await turns.ask(message, conversation, prompt)
