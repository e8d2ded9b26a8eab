"""Per-conversation ordering: turns of one conversation run one at a time, other chats never wait.

`KeyedLocks` orders them inside one process; `RedisLocks` across every replica sharing a Redis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)


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
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
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

    def __len__(self) -> int:
        return len(self._locks)


class RedisLocks:
    """A Redis lock per key (redis-py's Lua-based `Lock`), so two replicas never interleave one conversation.

    Waiters in the same process first queue on a local `KeyedLocks`: only one of them polls Redis at a time,
    and they keep their FIFO order. The Redis lock expires `ttl` seconds after its last renewal, so a replica
    that dies mid-turn blocks its conversation for at most `ttl`; a live holder renews it every `ttl / 3`,
    because a streamed answer may take longer than any fixed timeout. A turn waits at most `wait` seconds for
    another replica's turn, then fails with ConversationBusy.
    """

    def __init__(
        self, redis: Redis, namespace: str, *, ttl: float = 30.0, wait: float = 300.0, poll: float = 0.05
    ) -> None:
        self._redis = redis
        self._namespace = namespace
        self._ttl = ttl
        self._wait = wait
        self._poll = poll
        self._local = KeyedLocks()

    def name(self, key: Hashable) -> str:
        parts = key if isinstance(key, tuple) else (key,)
        return f"{self._namespace}:lock:" + ":".join(map(str, parts))

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        async with self._local.hold(key):
            lock = Lock(
                self._redis, self.name(key), timeout=self._ttl, sleep=self._poll,
                blocking_timeout=self._wait, thread_local=False,
            )
            if not await lock.acquire():
                raise ConversationBusy(f"{lock.name} stayed locked for {self._wait:.0f} s")
            renewal = asyncio.create_task(self._renew(lock))
            try:
                yield
            finally:
                renewal.cancel()
                await asyncio.gather(renewal, return_exceptions=True)
                await self._release(lock)

    async def _renew(self, lock: Lock) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await lock.reacquire()
            except LockError:  # expired while Redis was unreachable: another replica may hold it now
                logger.warning("Lost %s before the turn ended", lock.name)
                return
            except RedisError as error:
                logger.warning("Could not renew %s: %s", lock.name, error)

    async def _release(self, lock: Lock) -> None:
        try:
            await lock.release()
        except LockError:
            logger.warning("%s had expired before it was released", lock.name)
        except RedisError as error:  # it expires by itself within `ttl`
            logger.warning("Could not release %s: %s", lock.name, error)
