"""/cancel: stop the answer being written, or the picture being drawn, in this conversation.

The work may run on another replica; whoever stops it says so in the chat (see ask and draw), so this
handler only answers when there was nothing to stop.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..services.cancel import Cancellations
from ..storage import ConversationKey

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="cancel")
    router.message.register(cancel, Command("cancel"))
    return router


async def cancel(message: Message, conversation: ConversationKey, cancels: Cancellations) -> None:
    stopped = await cancels.cancel(conversation)
    logger.info("chat=%s: /cancel (%s)", message.chat.id, "stopped the work" if stopped else "nothing running")
    if not stopped:
        await message.reply(texts.nothing_to_cancel())
