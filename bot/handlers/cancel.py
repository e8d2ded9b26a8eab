"""/cancel: stop the answer being written in this conversation."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..conversation import conversation_key
from ..services.chat import ChatService

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="cancel")
    router.message.register(cancel, Command("cancel"))
    return router


async def cancel(message: Message, chat_service: ChatService) -> None:
    stopped = chat_service.cancel(conversation_key(message))
    logger.info("chat=%s: /cancel (%s)", message.chat.id, "stopped an answer" if stopped else "nothing running")
    await message.reply(texts.cancelled() if stopped else texts.nothing_to_cancel())
