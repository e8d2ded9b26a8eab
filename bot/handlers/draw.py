"""/draw: pictures from a description, edits of a replied-to photo, and the 🔄/✏️ buttons under them.

Guards are declared: the "draw" rate flag (the sender's DRAW_RATE and, in groups, GROUP_DRAW_RATE) on the
command and on the buttons. One person's drawings in a chat run one at a time; /cancel stops any of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from .. import texts
from ..config import Settings
from ..conversation import topic_id
from ..filters import Prompt
from ..pictures import caption, picture_id, send_pictures
from ..senders import is_group, sender_id
from ..services.cancel import Cancellations, TurnCancelled
from ..services.draw_jobs import DrawMemory, DrawnRequest, DrawQueue
from ..services.draw_options import parse_draw_options
from ..services.images import DrawRequest, ImageService, SourceImageError
from ..services.media import MediaRefused, MediaService, largest_photo
from ..services.prompts import clean_prompt
from ..storage import ConversationKey

logger = logging.getLogger(__name__)

DRAW = {"rate": "draw"}
NO_RIGHTS = "NOT ENOUGH RIGHTS"
NOT_EDITABLE = ("sticker", "animation", "video", "video_note", "voice", "audio", "document")


class DrawButton(CallbackData, prefix="draw"):
    """🔄 ("again") or ✏️ ("vary") under a picture; `ref` names its request in DrawMemory (≤ 64 bytes in all)."""

    action: str
    ref: str


@dataclass(frozen=True)
class Drawing:
    """One drawing to run: its request, who asked (named in group captions), the person's queue key and the
    conversation whose /cancel stops it (the drawer's own with GROUP_HISTORY=per_user, else the chat's)."""

    request: DrawnRequest
    asker: str | None
    drawer: tuple[int, int, int]
    conversation: ConversationKey


@dataclass(frozen=True)
class Tools:
    bot: Bot
    settings: Settings
    image_service: ImageService
    cancels: Cancellations
    draw_queue: DrawQueue
    draw_memory: DrawMemory
    media: MediaService


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
    message: Message, prompt: str, conversation: ConversationKey, bot: Bot, settings: Settings,
    image_service: ImageService, cancels: Cancellations, draw_queue: DrawQueue, draw_memory: DrawMemory,
    media: MediaService,
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
    if not (image_service.can_edit if source else image_service.available):
        await message.reply(texts.edit_unavailable() if source else texts.draw_unavailable())
        return
    request = DrawnRequest(options.prompt, options.count, options.size, None, source)
    drawing = Drawing(request, asker_name(message), drawer_key(message, sender_id(message) or 0), conversation)
    await perform(message, drawing, Tools(bot, settings, image_service, cancels, draw_queue, draw_memory, media))


async def press(
    callback: CallbackQuery, callback_data: DrawButton, bot: Bot, settings: Settings,
    image_service: ImageService, cancels: Cancellations, draw_queue: DrawQueue, draw_memory: DrawMemory,
    media: MediaService, conversation: ConversationKey | None = None,
) -> None:
    """Answer the button at once (a toast), then draw: the same request again, or a variation of the picture."""
    target = callback.message
    drawn = draw_memory.recall(callback_data.ref)
    if not isinstance(target, Message) or conversation is None or drawn is None:
        await callback.answer(texts.draw_button_expired(), show_alert=True)
        return
    if callback_data.action == "vary":
        if not image_service.can_edit or drawn.picture is None:
            await callback.answer(texts.edit_unavailable(), show_alert=True)
            return
        drawn = replace(drawn, count=1, source=drawn.picture)
    await callback.answer(texts.drawing_now())
    asker = callback.from_user.first_name if is_group(target.chat) else None
    drawing = Drawing(replace(drawn, picture=None), asker, drawer_key(target, callback.from_user.id), conversation)
    await perform(target, drawing, Tools(bot, settings, image_service, cancels, draw_queue, draw_memory, media))


async def perform(target: Message, drawing: Drawing, tools: Tools) -> None:
    """Draw (in the person's queue, stoppable by /cancel: nothing is sent after it) and reply to `target`."""
    request = drawing.request

    async def work() -> None:
        source = None
        if request.source is not None:
            limit = tools.settings.max_image_bytes
            source = await tools.media.download(tools.bot, request.source, max_bytes=limit,
                                                too_big=texts.edit_source_too_large(limit))
        images = await tools.image_service.draw(DrawRequest(request.prompt, request.count, request.size, source))
        ref = tools.draw_memory.remember(request)
        sent = await send_pictures(target, images, caption(request.prompt, drawing.asker),
                                   buttons(ref, can_vary=tools.image_service.can_edit))
        tools.draw_memory.remember(replace(request, picture=picture_id(sent[0])), ref=ref)
        logger.info("chat=%s: drew %d picture(s)%s", target.chat.id, len(images), " (edit)" if source else "")

    try:
        async with (
            tools.draw_queue.turn(drawing.drawer, lambda: target.reply(texts.draw_queued())),
            ChatActionSender.upload_photo(bot=tools.bot, chat_id=target.chat.id, message_thread_id=topic_id(target)),
        ):
            await tools.cancels.run(drawing.conversation, work())
    except TurnCancelled:
        logger.info("chat=%s: drawing cancelled by the user", target.chat.id)
        await target.reply(texts.cancelled())
    except ProviderError as error:
        logger.warning("chat=%s: image failed: %s", target.chat.id, error)
        await target.reply(texts.image_failed(error))
    except MediaRefused as refused:
        logger.warning("chat=%s: picture to edit unavailable: %s", target.chat.id, refused.why)
        await target.reply(refused.reply)
    except SourceImageError as error:
        logger.warning("chat=%s: %s", target.chat.id, error)
        await target.reply(texts.photo_unreadable())
    except TelegramBadRequest as error:
        logger.warning("chat=%s: the picture was refused: %s", target.chat.id, error.message)
        reason = error.message.removeprefix("Bad Request: ")
        await target.reply(texts.photo_not_allowed() if NO_RIGHTS in reason.upper() else texts.photo_refused(reason))


def buttons(ref: str, *, can_vary: bool) -> InlineKeyboardMarkup:
    again = DrawButton(action="again", ref=ref).pack()
    row = [InlineKeyboardButton(text=texts.draw_again_button(), callback_data=again)]
    if can_vary:
        vary = DrawButton(action="vary", ref=ref).pack()
        row.append(InlineKeyboardButton(text=texts.draw_vary_button(), callback_data=vary))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def asker_name(message: Message) -> str | None:
    """Who asked, for a group caption: the person's first name, or the chat an anonymous admin wrote as."""
    if not is_group(message.chat):
        return None
    if message.sender_chat is not None:
        return message.sender_chat.title or None
    return message.from_user.first_name if message.from_user is not None else None


def drawer_key(message: Message, sender: int) -> tuple[int, int, int]:
    return message.chat.id, topic_id(message) or 0, sender
