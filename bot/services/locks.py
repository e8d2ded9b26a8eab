"""Per-conversation ordering: turns of one conversation run one at a time, other chats never wait.

`KeyedLocks` orders them inside one process; `RedisLocks` (in `replicas`) across every replica sharing a Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class ConversationLocks(Protocol):
    """What ChatService needs: `async with locks.hold(key):` runs alone among holders of `key`."""

    def hold(self, key: Hashable) -> AbstractAsyncContextManager[None]: ...


class ConversationBusy(Exception):
    """Another replica held a conversation's lock for longer than a turn may wait."""


class KeyedLocks:
    """An asyncio.Lock per key, dropped when nobody holds or waits for it, so memory stays flat."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def held(self, key: Hashable) -> bool:
        """Whether someone holds or waits for `key`'s lock now."""
        return key in self._locks
