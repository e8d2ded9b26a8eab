"""/reset: forget this conversation (with GROUP_HISTORY=per_user in a group: only your own)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..services.chat import ChatService
from ..storage import ConversationKey

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="reset")
    router.message.register(reset, Command("reset"))
    return router


async def reset(message: Message, conversation: ConversationKey, chat_service: ChatService) -> None:
    await chat_service.reset(conversation)
    logger.info("chat=%s thread=%s user=%s: history reset", conversation.chat_id, conversation.thread_id,
                conversation.user_id)
    await message.reply(texts.reset_done())
