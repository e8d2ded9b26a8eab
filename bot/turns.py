"""Conversation turns for messages and buttons: typing, the answer with its 🔄, every refusal.

`Turns` sits in workflow data (`turns`). /ask (and plain text, photos, voice, documents), /retry and the 🔄
button all answer through it, so all of them report failures alike.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from . import texts
from .conversation import topic_id
from .replies import AnswerSender, Delivered
from .senders import sender_id
from .services.chat import ChatService, Notify, TurnCancelled
from .services.inputs import Question
from .services.locks import ConversationBusy
from .services.media import MediaRefused
from .services.retry_buttons import RetryButtons
from .storage import ConversationKey

logger = logging.getLogger(__name__)


class Turns:
    def __init__(self, chat: ChatService, answers: AnswerSender, buttons: RetryButtons) -> None:
        self._chat = chat
        self._answers = answers
        self._buttons = buttons

    async def ask(self, message: Message, key: ConversationKey, question: str | Question) -> bool:
        """Answer `question`, asked by `message`'s sender, in reply to it."""
        return await self._run(message, key, functools.partial(self._chat.ask, key, question,
                                                               user_id=sender_id(message)))

    async def retry(
        self, message: Message, key: ConversationKey, *, user_id: int | None,
        answered: Callable[[str], bool] | None = None,
    ) -> bool:
        """Answer the conversation's last question again, in reply to `message` (the /retry, or the answer whose
        🔄 `user_id` pressed: then only if `answered` says it is still the latest). Raises NothingToRetry."""
        return await self._run(message, key, functools.partial(self._chat.retry, key, answered=answered,
                                                               user_id=user_id))

    async def _run(self, message: Message, key: ConversationKey, start: Callable[..., Awaitable[str]]) -> bool:
        """`start(deliver, on_queued=..., on_shortened=...)` runs the turn; False if it failed (and the user was
        told why)."""
        assert message.bot is not None
        bot = message.bot
        delivered: list[Delivered] = []

        async def deliver(chunks: AsyncIterator[str]) -> str:
            async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id, message_thread_id=topic_id(message)):
                result = await self._answers.deliver(message, chunks, markup=self._buttons.markup)
            delivered.append(result)
            return result.text

        def say(text: str) -> Notify:
            return lambda: message.reply(text)

        try:
            await start(deliver, on_queued=say(texts.queued()), on_shortened=say(texts.history_shortened()))
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
            await self._buttons.moved(bot, key, delivered[-1].last if delivered else None)
            return True
        return False
