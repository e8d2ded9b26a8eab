"""/draw: an image from the provider's image model, sent as a photo (or a file when too big for one)."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from .. import texts
from ..config import Settings
from ..conversation import conversation_key, topic_id
from ..filters import Prompt
from ..rendering.units import cut_utf16
from ..services.cancel import Cancellations, TurnCancelled
from ..services.images import GeneratedImage, ImageService
from ..services.prompts import clean_prompt

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
# Telegram's refusals of a picture as a photo that the same bytes as a document avoid: its dimensions, its
# size, or its processing (the photo is re-encoded; a document is not). Anything else, such as "not enough
# rights to send photos to the chat", a document would not fix.
PHOTO_ONLY_ERRORS = (
    "PHOTO_INVALID_DIMENSIONS", "PHOTO_SAVE_FILE_INVALID", "PHOTO_EXT_INVALID", "PHOTO_INVALID",
    "IMAGE_PROCESS_FAILED", "PHOTO_TOO_BIG", "PHOTO IS TOO BIG", "FILE IS TOO BIG",
)  # fmt: skip
NO_RIGHTS = "NOT ENOUGH RIGHTS"


def build_router() -> Router:
    router = Router(name="draw")
    router.message.register(draw, Command("draw"), Prompt(), flags={"rate": "draw"})
    router.message.register(explain_prompt, Command("draw"))
    return router


async def explain_prompt(message: Message, command: CommandObject, settings: Settings) -> None:
    prompt = clean_prompt(command.args or "")
    if prompt:
        logger.info("chat=%s: draw prompt refused, %d chars", message.chat.id, len(prompt))
        await message.reply(texts.too_long(len(prompt), settings.max_prompt_chars))
    else:
        await message.reply(texts.draw_usage())


async def draw(message: Message, prompt: str, image_service: ImageService, cancels: Cancellations) -> None:
    if not image_service.available:
        await message.reply(texts.draw_unavailable())
        return
    assert message.bot is not None
    try:
        async with ChatActionSender.upload_photo(
            bot=message.bot, chat_id=message.chat.id, message_thread_id=topic_id(message)
        ):
            image = await cancels.run(conversation_key(message), image_service.draw(prompt))  # /cancel stops it
            await send_image(message, image, escape(cut_utf16(prompt, CAPTION_LIMIT)))
    except TurnCancelled:
        logger.info("chat=%s: drawing cancelled by the user", message.chat.id)
        await message.reply(texts.cancelled())
    except ProviderError as error:
        logger.warning("chat=%s: image failed: %s", message.chat.id, error)
        await message.reply(texts.image_failed(error))
    except TelegramBadRequest as error:
        logger.warning("chat=%s: the picture was refused: %s", message.chat.id, error.message)
        reason = error.message.removeprefix("Bad Request: ")
        await message.reply(texts.photo_not_allowed() if NO_RIGHTS in reason.upper() else texts.photo_refused(reason))


async def send_image(message: Message, image: GeneratedImage, caption: str) -> None:
    """As a photo when Telegram's documented limits allow; as a file when they do not, or when Telegram
    still refuses the photo for its size or format. Other refusals are raised."""
    file = BufferedInputFile(image.data, filename=image.filename)
    if image.as_photo:
        try:
            await message.reply_photo(file, caption=caption)
            return
        except TelegramEntityTooLarge:
            logger.warning("chat=%s: photo too large for Telegram; sending as a file", message.chat.id)
        except TelegramBadRequest as error:
            if not any(marker in error.message.upper() for marker in PHOTO_ONLY_ERRORS):
                raise
            logger.warning("chat=%s: photo refused (%s); sending as a file", message.chat.id, error.message)
    await message.reply_document(file, caption=caption)
