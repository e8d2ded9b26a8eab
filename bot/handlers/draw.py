"""/draw: an image from the provider's image model, sent as a photo (or a file when too big for one)."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from .. import texts
from ..config import Settings
from ..conversation import topic_id
from ..rendering.units import cut_utf16
from ..services.images import GeneratedImage, ImageService
from ..services.limits import RequestLimiter
from .input import clean_prompt, over_limit

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024


def build_router() -> Router:
    router = Router(name="draw")
    router.message.register(draw, Command("draw"))
    return router


async def draw(
    message: Message, command: CommandObject, image_service: ImageService, settings: Settings,
    limiter: RequestLimiter,
) -> None:
    prompt = clean_prompt(command.args or "")
    if not prompt:
        await message.reply(texts.draw_usage())
        return
    if len(prompt) > settings.max_prompt_chars:
        logger.info("chat=%s: draw prompt refused, %d chars", message.chat.id, len(prompt))
        await message.reply(texts.too_long(len(prompt), settings.max_prompt_chars))
        return
    if not image_service.available:
        await message.reply(texts.draw_unavailable())
        return
    if await over_limit(message, limiter, "draw"):
        return
    assert message.bot is not None
    try:
        async with ChatActionSender.upload_photo(
            bot=message.bot, chat_id=message.chat.id, message_thread_id=topic_id(message)
        ):
            image = await image_service.draw(prompt)
            await send_image(message, image, escape(cut_utf16(prompt, CAPTION_LIMIT)))
    except ProviderError as error:
        logger.warning("chat=%s: image failed: %s", message.chat.id, error)
        await message.reply(texts.image_failed(error.reason))


async def send_image(message: Message, image: GeneratedImage, caption: str) -> None:
    file = BufferedInputFile(image.data, filename=image.filename)  # type: ignore[arg-type]  # a bytearray is sent alike
    if image.as_photo:
        try:
            await message.reply_photo(file, caption=caption)
            return
        except TelegramBadRequest as error:
            # Our checks mirror Telegram's documented limits; if it still refuses, a file always works.
            logger.warning("chat=%s: photo refused (%s); sending as a file", message.chat.id, error.message)
    await message.reply_document(file, caption=caption)
