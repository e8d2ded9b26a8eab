"""Per-user request rates (moving window), shared across replicas when the store is Redis."""

from __future__ import annotations

import logging
import time

from cachetools import TTLCache
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from ..config import GuardSettings, Rate, StorageConfig

logger = logging.getLogger(__name__)


class RequestLimiter:
    def __init__(self, guards: GuardSettings, storage: Storage | None = None, notice_interval: float = 60.0) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        # Who was told to wait recently: someone hammering the command gets one answer a minute, not one each.
        self._told: TTLCache[tuple[str, int], bool] = TTLCache(maxsize=100_000, ttl=notice_interval)
        self._items: dict[str, tuple[Rate, RateLimitItem]] = {
            "ask": (guards.ask_rate, _item(guards.ask_rate)),
            "draw": (guards.draw_rate, _item(guards.draw_rate)),
        }
        self._exempt = guards.admins

    def rate(self, kind: str) -> Rate:
        return self._items[kind][0]

    async def wait_time(self, kind: str, user_id: int) -> float:
        """0 when the request may go ahead (it is counted), else the seconds until one is free again."""
        if user_id in self._exempt:
            return 0.0
        _, item = self._items[kind]
        if await self._limiter.hit(item, kind, str(user_id)):
            return 0.0
        stats = await self._limiter.get_window_stats(item, kind, str(user_id))
        wait = max(1.0, stats.reset_time - time.time())
        logger.info("user=%s: %s rate limit reached, %.0f s to wait", user_id, kind, wait)
        return wait

    def first_notice(self, kind: str, user_id: int) -> bool:
        """True once per notice interval for a limited user: whether to say so again."""
        if (kind, user_id) in self._told:
            return False
        self._told[kind, user_id] = True
        return True


def limit_storage(config: StorageConfig, namespace: str = "aichats") -> Storage:
    """Counters live where the history does: in Redis they are shared by every replica (of this bot only:
    `namespace` carries the bot id, as the history keys do)."""
    if config.kind == "redis" and config.url:
        from ..storage.redis import CLIENT_TIMEOUTS  # loads redis-py: only with Redis as the store

        # The timeouts of every other Redis client: an unreachable Redis fails /ask in seconds, never hangs it.
        return RedisStorage(f"async+{config.url}", implementation="redispy", key_prefix=f"{namespace}:limits",
                            **CLIENT_TIMEOUTS)
    return MemoryStorage()


def _item(rate: Rate) -> RateLimitItem:
    return RateLimitItemPerSecond(rate.count, rate.seconds)
