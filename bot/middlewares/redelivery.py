"""Each update handled once, whichever replica it reaches: the redelivery check of replicas sharing a Redis.

Only imported (through `services.replicas`) when Redis is the store, so a bot on SQLite never loads redis-py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


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
