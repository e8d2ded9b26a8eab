"""/draw: pictures from a description, edits of a replied-to photo, and the 🔄/✏️ buttons under them.

Guards are declared: the "draw" rate flag (the sender's DRAW_RATE and, in groups, GROUP_DRAW_RATE) on the
command and on the buttons. The handlers check what was asked; bot/drawings.py draws it (one at a time per
person in a chat, stopped by /cancel).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from .. import texts
from ..config import Settings
from ..drawings import Drawings
from ..filters import Prompt
from ..pictures import DrawButton
from ..senders import is_group, sender_id
from ..services.draw_jobs import DrawnRequest
from ..services.draw_options import parse_draw_options
from ..services.media import largest_photo
from ..services.prompts import clean_prompt
from ..storage import ConversationKey

logger = logging.getLogger(__name__)

DRAW = {"rate": "draw"}
NOT_EDITABLE = ("sticker", "animation", "video", "video_note", "voice", "audio", "document")


def build_router() -> Router:
    router = Router(name="draw")
    router.message.register(draw, Command("draw"), Prompt(), flags=DRAW)
    router.message.register(explain_prompt, Command("draw"))
    router.callback_query.register(press, DrawButton.filter(), flags=DRAW)
    return router


async def explain_prompt(message: Message, command: CommandObject, settings: Settings) -> None:
    prompt = clean_prompt(command.args or "")
    if prompt:
        logger.info("chat=%s: draw prompt refused, %d chars", message.chat.id, len(prompt))
        await message.reply(texts.too_long(len(prompt), settings.max_prompt_chars))
    else:
        await message.reply(texts.draw_options_help())


async def draw(
    message: Message, prompt: str, conversation: ConversationKey, settings: Settings, drawings: Drawings
) -> None:
    options = parse_draw_options(prompt, settings.max_images_per_draw)
    if not options.prompt:
        await message.reply(texts.draw_options_help())
        return
    source = None
    replied = message.reply_to_message
    if replied is not None and replied.photo:
        size = largest_photo(replied.photo, settings.max_image_bytes)
        if size is None:
            logger.info("chat=%s: photo to edit is over %d bytes", message.chat.id, settings.max_image_bytes)
            await message.reply(texts.edit_source_too_large(settings.max_image_bytes))
            return
        source = size.file_id
    elif replied is not None and any(getattr(replied, kind) is not None for kind in NOT_EDITABLE):
        await message.reply(texts.edit_needs_photo())
        return
    if not (drawings.images.can_edit if source else drawings.images.available):
        await message.reply(texts.edit_unavailable() if source else texts.draw_unavailable())
        return
    request = DrawnRequest(options.prompt, options.count, options.size, None, source)
    await drawings.draw(message, request, asker=asker_name(message), sender=sender_id(message) or 0,
                        conversation=conversation)


async def press(
    callback: CallbackQuery, callback_data: DrawButton, drawings: Drawings,
    conversation: ConversationKey | None = None,
) -> None:
    """Answer the button at once (a toast), then draw: the same request again, or a variation of the picture."""
    target = callback.message
    drawn = drawings.recall(callback_data.ref)
    if not isinstance(target, Message) or conversation is None or drawn is None:
        await callback.answer(texts.draw_button_expired(), show_alert=True)
        return
    if callback_data.action == "vary":
        if not drawings.images.can_edit or drawn.picture is None:
            await callback.answer(texts.edit_unavailable(), show_alert=True)
            return
        drawn = replace(drawn, count=1, source=drawn.picture)
    await callback.answer(texts.drawing_now())
    asker = callback.from_user.first_name if is_group(target.chat) else None
    await drawings.draw(target, replace(drawn, picture=None), asker=asker, sender=callback.from_user.id,
                        conversation=conversation)


def asker_name(message: Message) -> str | None:
    """Who asked, for a group caption: the person's first name, or the chat an anonymous admin wrote as."""
    if not is_group(message.chat):
        return None
    if message.sender_chat is not None:
        return message.sender_chat.title or None
    return message.from_user.first_name if message.from_user is not None else None

