"""What replicas sharing one Redis coordinate through it: conversation turns and handled updates.

Only imported when Redis is the store, so a bot on SQLite never loads redis-py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from ..middlewares.redelivery import SkipRedelivered
from ..storage import HistoryStore
from ..storage.redis import RedisHistoryStore
from .locks import ConversationBusy, KeyedLocks

logger = logging.getLogger(__name__)


def coordinate(store: HistoryStore, namespace: str) -> tuple[RedisLocks, SkipRedelivered]:
    """The locks and the redelivery check of replicas whose history is this Redis store."""
    assert isinstance(store, RedisHistoryStore)
    return RedisLocks(store.redis, namespace), SkipRedelivered(store.redis, namespace)


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
                raise ConversationBusy(f"{lock.name} stayed locked for {self._wait:.0f} s")  # type: ignore[str-bytes-safe]  # our str
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
