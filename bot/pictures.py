"""Sending drawn pictures: one as a photo (or a file when Telegram would refuse the photo), several as one
album; captions with the prompt and, in groups, who asked; the 🔄/✏️ buttons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from html import escape

from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    MediaUnion,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from telegramify_markdown import utf16_len

from . import texts
from .rendering.units import cut_utf16
from .services.images import GeneratedImage

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
# Telegram's refusals of a picture as a photo that the same bytes as a document avoid: its dimensions, its
# size, or its processing (the photo is re-encoded; a document is not). Anything else, such as "not enough
# rights to send photos to the chat", a document would not fix.
PHOTO_ONLY_ERRORS = (
    "PHOTO_INVALID_DIMENSIONS", "PHOTO_SAVE_FILE_INVALID", "PHOTO_EXT_INVALID", "PHOTO_INVALID",
    "IMAGE_PROCESS_FAILED", "PHOTO_TOO_BIG", "PHOTO IS TOO BIG", "FILE IS TOO BIG",
)  # fmt: skip


class DrawButton(CallbackData, prefix="draw"):
    """🔄 ("again") or ✏️ ("vary") under a picture; `ref` names its request in DrawMemory (≤ 64 bytes in all)."""

    action: str
    ref: str


def draw_buttons(ref: str, *, can_vary: bool) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()  # one row
    keyboard.button(text=texts.draw_again_button(), callback_data=DrawButton(action="again", ref=ref))
    if can_vary:
        keyboard.button(text=texts.draw_vary_button(), callback_data=DrawButton(action="vary", ref=ref))
    return keyboard.as_markup()


def caption(prompt: str, asker: str | None) -> str:
    """The prompt and, in groups, "— asked by <name>": at most 1,024 UTF-16 units in all, HTML-escaped."""
    suffix = f"\n\n{texts.asked_by(asker)}" if asker else ""
    room = max(0, CAPTION_LIMIT - utf16_len(suffix))
    return escape(cut_utf16(prompt, room) + suffix)


def picture_id(message: Message) -> str | None:
    """The file id of a sent picture: a photo's largest size, or the document."""
    if message.photo:
        return message.photo[-1].file_id
    return message.document.file_id if message.document is not None else None


async def send_pictures(
    target: Message, images: Sequence[GeneratedImage], text: str, markup: InlineKeyboardMarkup | None
) -> list[Message]:
    """Reply to `target` with the pictures; the buttons go under a single picture, or under an album in a
    message of their own (an album cannot carry buttons)."""
    if len(images) == 1:
        return [await send_one(target, images[0], text, markup)]
    album = await send_album(target, images, text)
    if markup is not None:
        await album[0].reply(texts.draw_album_buttons(), reply_markup=markup)
    return album


async def send_one(target: Message, image: GeneratedImage, text: str, markup: InlineKeyboardMarkup | None) -> Message:
    """As a photo when Telegram's documented limits allow; as a file when they do not, or when Telegram
    still refuses the photo for its size or format. Other refusals are raised."""
    file = BufferedInputFile(image.data, filename=image.filename)
    if image.as_photo:
        try:
            return await target.reply_photo(file, caption=text, reply_markup=markup)
        except (TelegramEntityTooLarge, TelegramBadRequest) as error:
            if not photo_only(error):
                raise
            logger.warning("chat=%s: photo refused (%s); sending as a file", target.chat.id, error.message)
    return await target.reply_document(file, caption=text, reply_markup=markup)


async def send_album(target: Message, images: Sequence[GeneratedImage], text: str) -> list[Message]:
    """One album, the caption on its first item. Documents can only be grouped with documents (Bot API,
    sendMediaGroup), so when one picture must go as a file, they all do."""
    as_photos = all(image.as_photo for image in images)
    if as_photos:
        try:
            return await target.reply_media_group(album_media(images, text, photos=True))
        except (TelegramEntityTooLarge, TelegramBadRequest) as error:
            if not photo_only(error):
                raise
            logger.warning("chat=%s: album refused (%s); sending files", target.chat.id, error.message)
    return await target.reply_media_group(album_media(images, text, photos=False))


def album_media(images: Sequence[GeneratedImage], text: str, *, photos: bool) -> list[MediaUnion]:
    media: list[MediaUnion] = []
    for i, image in enumerate(images):
        file = BufferedInputFile(image.data, filename=f"{i + 1}-{image.filename}")
        item_caption = text if i == 0 else None
        media.append(InputMediaPhoto(media=file, caption=item_caption) if photos
                     else InputMediaDocument(media=file, caption=item_caption))
    return media


def photo_only(error: TelegramBadRequest | TelegramEntityTooLarge) -> bool:
    return isinstance(error, TelegramEntityTooLarge) or any(m in error.message.upper() for m in PHOTO_ONLY_ERRORS)
