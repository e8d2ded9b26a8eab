"""Running one conversation turn for a message or a button: typing, the answer with its 🔄, every refusal.

Shared by /ask (and plain text), /retry and the 🔄 button, so all of them report failures alike.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from . import texts
from .conversation import topic_id
from .replies import AnswerSender, Delivered
from .services.chat import Deliver, Notify, TurnCancelled
from .services.locks import ConversationBusy
from .services.media import MediaRefused
from .services.retry_buttons import RetryButtons
from .storage import ConversationKey

logger = logging.getLogger(__name__)

# Starts the turn: ChatService.ask or .retry with everything but these bound (functools.partial).
StartTurn = Callable[..., Awaitable[str]]


async def run_turn(
    message: Message, key: ConversationKey, start: StartTurn, *, bot: Bot, answers: AnswerSender,
    buttons: RetryButtons,
) -> bool:
    """Answer in reply to `message` (the question, or the answer whose 🔄 was pressed); False if it failed
    (and the user was told why)."""
    delivered: list[Delivered] = []

    async def deliver(chunks: AsyncIterator[str]) -> str:
        async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id, message_thread_id=topic_id(message)):
            result = await answers.deliver_answer(message, chunks, markup=buttons.markup)
        delivered.append(result)
        return result.text

    def say(text: str) -> Notify:
        return lambda: message.reply(text)

    notices: dict[str, Any] = {"on_queued": say(texts.queued()), "on_shortened": say(texts.history_shortened())}
    wrapped: Deliver = deliver
    try:
        await start(wrapped, **notices)
    except TurnCancelled:  # parts already sent stay on screen: say that the answer ends there
        logger.info("chat=%s: answer cancelled by the user", message.chat.id)
        await message.reply(texts.cancelled())
    except MediaRefused as refused:  # e.g. the photo asked about can no longer be downloaded
        logger.info("chat=%s: input refused: %s", message.chat.id, refused.why)
        await message.reply(refused.reply)
    except ConversationBusy as error:
        logger.warning("chat=%s: conversation busy: %s", message.chat.id, error)
        await message.reply(texts.conversation_busy())
    except ProviderError as error:
        logger.warning("chat=%s: provider failed: %s", message.chat.id, error)
        await message.reply(texts.model_failed(error))
    else:
        await buttons.moved(bot, key, delivered[-1].last if delivered else None)
        return True
    return False
