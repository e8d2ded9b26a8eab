"""Chat turns: history in, provider stream out, both turns stored only once the answer was delivered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from provider import AsyncGeneratorProvider

from ..storage import ConversationKey, HistoryStore, Turn
from .locks import KeyedLocks

logger = logging.getLogger(__name__)

# Consumes the answer's text chunks, shows them to the user and returns the text it delivered.
Deliver = Callable[[AsyncIterator[str]], Awaitable[str]]


class ChatService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        store: HistoryStore,
        *,
        session: aiohttp.ClientSession | None = None,
        locks: KeyedLocks | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self._provider = provider
        self._system = [{"role": "system", "content": system_prompt}] if system_prompt else []
        self._store = store
        self._session = session
        self._locks = locks or KeyedLocks()
        self._model = model or provider.default_model

    async def ask(self, key: ConversationKey, question: str, deliver: Deliver) -> str:
        """Run one turn of `key`'s conversation; turns of one conversation never interleave.

        Whatever `deliver` or the provider raises propagates and nothing is stored, so a failed or
        undelivered answer never enters the history as if the model had said it.
        """
        async with self._locks.hold(key):
            history = await self._store.get(key)
            messages = [*self._system, *(turn.as_message() for turn in history)]
            messages.append({"role": "user", "content": question})
            answer = await deliver(self._stream(messages))
            await self._store.append(key, [Turn("user", question), Turn("assistant", answer)])
            logger.info(
                "chat=%s thread=%s: answered (%d history turns, %d chars)",
                key.chat_id, key.thread_id, len(history), len(answer),
            )
            return answer

    async def reset(self, key: ConversationKey) -> None:
        async with self._locks.hold(key):
            await self._store.reset(key)

    async def _stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        kwargs: dict[str, Any] = {"session": self._session} if self._session else {}
        async for chunk in self._provider.create_async_generator(self._model, messages, **kwargs):
            if isinstance(chunk, str) and chunk:
                yield chunk
