"""/reset: forget this conversation (with GROUP_HISTORY=per_user in a group: only your own)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..config import Settings
from ..conversation import conversation_key
from ..services.chat import ChatService

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="reset")
    router.message.register(reset, Command("reset"))
    return router


async def reset(message: Message, settings: Settings, chat_service: ChatService) -> None:
    key = conversation_key(message, settings.group_history)
    await chat_service.reset(key)
    logger.info("chat=%s thread=%s user=%s: history reset", key.chat_id, key.thread_id, key.user_id)
    await message.reply(texts.reset_done())
