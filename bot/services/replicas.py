"""What replicas sharing one Redis coordinate through it: conversation turns and handled updates.

Only imported when Redis is the store, so a bot on SQLite never loads redis-py (6 MB of its RSS).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

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


UPDATE_MEMORY_SECONDS = 3600


class SkipRedelivered(BaseMiddleware):
    """An outer update middleware: claims the update id, or skips an update some replica already took.

    Each update is handled once, whichever replica it reaches and however often Telegram sends it. Telegram
    re-sends a webhook update that was not answered in time, and with several replicas behind a load
    balancer the copy may land on another process. The first replica to take an update id claims it in
    Redis (SET NX EX); every later copy is skipped. Claims expire after `ttl`: long enough to outlast
    Telegram's retries of one delivery, short enough that the keys of a busy bot stay few.
    """

    def __init__(self, redis: Redis, namespace: str, ttl: int = UPDATE_MEMORY_SECONDS) -> None:
        self._redis = redis
        self._namespace = namespace
        self._ttl = ttl

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not await self._claim(event.update_id):
            logger.info("Update %s was already taken; skipped", event.update_id)
            return UNHANDLED
        return await handler(event, data)

    async def _claim(self, update_id: int) -> bool:
        try:
            return bool(await self._redis.set(f"{self._namespace}:update:{update_id}", 1, nx=True, ex=self._ttl))
        except RedisError as error:
            # Better a rare double answer than none: without Redis the turn itself will report the failure.
            logger.warning("Could not check update %s for redelivery (%s); handling it", update_id, error)
            return True
