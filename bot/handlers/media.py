"""Photos (and albums), voice messages, audio, video notes and documents: each a conversation turn.

Addressed as text is: anything in a private chat; in groups a caption `/ask …` (or `/ask@bot …`), `/ask`
sent as a reply to the media, or the media sent as a reply to the bot. `MediaQuestion` finds the media and
the prompt; `bot/services/inputs.py` turns them into a `Question`; `answer_question` (ask.py) does the rest,
with the same rate flag, cancel, locks, streaming and delivery as a text `/ask`.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, Filter
from aiogram.filters.command import CommandException
from aiogram.types import Message

from .. import texts
from ..config import Settings
from ..services.albums import AlbumCollector
from ..services.inputs import MediaRequest, build_question, media_kind
from ..services.media import MediaRefused, MediaService
from ..services.prompts import clean_prompt
from ..storage import ConversationKey
from ..turns import Turns
from .ask import ASK, answer_question

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="media")
    router.message.register(answer_media, MediaQuestion(), flags=ASK)
    router.message.register(album_part, F.media_group_id)  # gathered by the album's first part
    return router


class MediaQuestion(Filter):
    """Passes a message with media (or an /ask replying to one) that is addressed to the bot, giving `request`."""

    async def __call__(
        self, message: Message, bot: Bot, albums: AlbumCollector
    ) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if media_kind(message) is not None:
            parts = [message]
            if message.media_group_id and message.photo:
                collected = await albums.collect(message)
                if collected is None:
                    return False
                parts = collected
            said = next((part.caption for part in parts if part.caption), "")
        elif message.text and replied is not None and media_kind(replied) is not None:
            parts, said = [replied], message.text
        else:
            return False
        args = await ask_arguments(said, bot)
        if said.startswith("/") and args is None:
            return False  # another command (or /ask for another bot)
        if parts[0] is replied and args is None:
            return False  # a plain text reply to a photo: text, for ask.py
        private = message.chat.type == ChatType.PRIVATE
        to_me = any(part.reply_to_message is not None and part.reply_to_message.from_user is not None
                    and part.reply_to_message.from_user.id == bot.id for part in [message, *parts])
        if not (private or args is not None or to_me):
            return False
        return {"request": MediaRequest(tuple(parts), clean_prompt(args if args is not None else said))}


async def ask_arguments(text: str, bot: Bot) -> str | None:
    """The words after `/ask` or `/ask@thisbot` (any case), parsed by aiogram's Command; None when `text` is
    not such a command."""
    if not text.startswith("/"):  # most captions: no command, so no exception to raise
        return None
    try:
        command = await Command("ask", ignore_case=True).parse_command(text, bot)
    except CommandException:
        return None
    return command.args or ""


async def answer_media(
    message: Message, request: MediaRequest, conversation: ConversationKey, bot: Bot, settings: Settings,
    media: MediaService, turns: Turns,
) -> None:
    if len(request.prompt) > settings.max_prompt_chars:
        await message.reply(texts.too_long(len(request.prompt), settings.max_prompt_chars))
        return
    try:
        question = await build_question(request, bot, media, settings)
    except MediaRefused as refused:
        logger.info("chat=%s: %s input refused: %s", message.chat.id, request.kind, refused.why)
        await message.reply(refused.reply)
        return
    if question.preface:
        await message.reply(question.preface)
    await answer_question(message, question, conversation, turns)


async def album_part(message: Message) -> None:
    """A later part of an album: its first part answers for all of them."""
