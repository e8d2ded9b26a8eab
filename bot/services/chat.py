"""Chat turns: history in, provider stream out, both turns stored only once the answer was delivered."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any

from provider import AsyncGeneratorProvider

from ..storage import ConversationKey, HistoryStore, Turn
from .cancel import Cancellations, TurnCancelled
from .inputs import Question, as_question
from .locks import ConversationLocks, KeyedLocks
from .turns import FetchImage, provider_messages

__all__ = ["ChatService", "Deliver", "Notify", "TurnCancelled"]

logger = logging.getLogger(__name__)

# Consumes the answer's text chunks, shows them to the user and returns the text it delivered.
Deliver = Callable[[AsyncIterator[str]], Awaitable[str]]
Notify = Callable[[], Awaitable[Any]]


class ChatService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        store: HistoryStore,
        *,
        provider_options: dict[str, Any] | None = None,
        locks: ConversationLocks | None = None,
        slots: asyncio.Semaphore | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        queue_notice_after: float = 0.5,
        cancels: Cancellations | None = None,
        history_images: int = 2,
    ) -> None:
        self._history_images = history_images
        self._queue_notice_after = queue_notice_after
        self._provider = provider
        self._options = provider_options or {}
        self._system = [{"role": "system", "content": system_prompt}] if system_prompt else []
        self._store = store
        self._locks = locks or KeyedLocks()
        self._slots = slots or asyncio.Semaphore(32)
        self._model = model or provider.default_model
        self._waiting: Counter[ConversationKey] = Counter()
        self._cancels = cancels or Cancellations()
        self._running: set[ConversationKey] = set()  # conversations whose answer is being delivered

    async def ask(
        self,
        key: ConversationKey,
        question: Question | str,
        deliver: Deliver,
        *,
        on_queued: Notify | None = None,
        images: FetchImage | None = None,
    ) -> str:
        """Run one turn of `key`'s conversation; turns of one conversation never interleave.

        Whatever `deliver` or the provider raises propagates and nothing is stored, so a failed,
        cancelled or undelivered answer never enters the history as if the model had said it.
        `images` fetches a file id's data URI (photos of the question and of recent turns); without it, or
        for a provider that cannot see, images are "[image]".
        """
        asked = as_question(question)
        turn = Turn("user", asked.text, asked.images)
        fetch = images if self._provider.supports_vision else None
        async with self._turn(key, on_queued):
            history = await self._store.get(key)
            messages = [*self._system, *await provider_messages(
                history, turn, fetch, history_images=self._history_images)]
            async with aclosing(self._stream(messages)) as stream:  # a stream left unfinished frees its slot
                answer = await self._run(key, deliver(stream))
            await self._store.append(key, [turn, Turn("assistant", answer)])
        logger.info("chat=%s thread=%s: answered (%d history turns, %d chars)",
                    key.chat_id, key.thread_id, len(history), len(answer))
        return answer

    def cancel(self, key: ConversationKey) -> bool:
        """Stop the answer being written in this conversation (this process); False if there is none."""
        return self._cancels.cancel_here(key)

    async def reset(self, key: ConversationKey) -> None:
        async with self._locks.hold(key):
            await self._store.reset(key)

    @asynccontextmanager
    async def _turn(self, key: ConversationKey, on_queued: Notify | None) -> AsyncIterator[None]:
        """Hold the conversation's lock; whoever still waits for it after a moment hears it is queued."""
        acquired = asyncio.Event()
        notice = None
        if on_queued is not None and (key in self._running or self._waiting[key]):
            notice = asyncio.create_task(self._notify_unless(acquired, on_queued))
        self._waiting[key] += 1
        waiting = True
        try:
            async with self._locks.hold(key):
                acquired.set()
                waiting = self._unwait(key)
                yield
        finally:
            acquired.set()
            if waiting:
                self._unwait(key)
            if notice is not None:
                await notice

    async def _notify_unless(self, acquired: asyncio.Event, on_queued: Notify) -> None:
        """The previous answer may be a moment from done: only a real wait is worth a message."""
        try:
            await asyncio.wait_for(acquired.wait(), self._queue_notice_after)
        except TimeoutError:
            try:
                await on_queued()
            except Exception:  # a lost notice must not fail the turn itself
                logger.warning("Could not send the queued notice", exc_info=True)

    def _unwait(self, key: ConversationKey) -> bool:
        self._waiting[key] -= 1
        if not self._waiting[key]:
            del self._waiting[key]
        return False

    async def _run(self, key: ConversationKey, delivery: Awaitable[str]) -> str:
        """Deliver in a task of its own, so /cancel (on any replica) can stop it without cancelling the handler."""
        self._running.add(key)
        try:
            return await self._cancels.run(key, delivery)
        finally:
            self._running.discard(key)

    async def _stream(self, messages: list[dict[str, Any]]) -> AsyncGenerator[str, None]:
        """The provider's text chunks. A slot is held only while the provider streams, not while the
        answer is sent: a chat waiting out Telegram's flood control must not hold up every other chat."""
        async with self._slots:
            async for chunk in self._provider.create_async_generator(self._model, messages, **self._options):
                if isinstance(chunk, str) and chunk:
                    yield chunk
