"""Request rates (moving window) per sender and, optionally, per group; shared across replicas when the store
is Redis.

Handlers never call this: the RateLimit middleware (bot/middlewares/rate.py) does, for handlers that declare
`flags={"rate": kind}`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cachetools import TTLCache
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from ..config import Rate, StorageConfig

logger = logging.getLogger(__name__)

Scope = Literal["sender", "chat"]


@dataclass(frozen=True)
class Limited:
    """A refused request: which limit it hit (the sender's own, or the group's), that rate, and the seconds
    until a request is free again."""

    scope: Scope
    rate: Rate
    wait: float


class RequestLimiter:
    """A rate per sender for each kind of request (the bot's: {"ask": ASK_RATE, "draw": DRAW_RATE}); `chat_rates`
    adds a rate per group chat for some kinds (e.g. {"draw": GROUP_DRAW_RATE}). The `exempt` (ADMINS) are never
    limited."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        storage: Storage | None = None,
        notice_interval: float = 60.0,
        *,
        chat_rates: Mapping[str, Rate] | None = None,
        exempt: frozenset[int] = frozenset(),
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        # Who was told to wait recently: someone hammering the command gets one answer a minute, not one each.
        self._told: TTLCache[tuple[str, Scope, int], bool] = TTLCache(maxsize=100_000, ttl=notice_interval)
        self._items = {kind: (rate, _item(rate)) for kind, rate in rates.items()}
        self._chat_items = {kind: (rate, _item(rate)) for kind, rate in (chat_rates or {}).items()}
        self._exempt = exempt

    async def check(self, kind: str, sender_id: int, chat_id: int | None = None) -> Limited | None:
        """Count the request against the sender's rate and, when `chat_id` (a group) is given and `kind` has
        a chat rate, against the group's. None when it may go ahead; otherwise which limit was hit.

        A full group is checked before anything is counted, so a refused request costs the sender nothing.
        """
        if sender_id in self._exempt:
            return None
        chat = self._chat_items.get(kind) if chat_id is not None else None
        chat_ids = (kind, "chat", str(chat_id))
        if chat is not None and not await self._limiter.test(chat[1], *chat_ids):
            return await self._refused("chat", chat, chat_ids)
        sender = self._items[kind]
        sender_ids = (kind, str(sender_id))
        if not await self._limiter.hit(sender[1], *sender_ids):
            return await self._refused("sender", sender, sender_ids)
        if chat is not None and not await self._limiter.hit(chat[1], *chat_ids):  # another request came first
            return await self._refused("chat", chat, chat_ids)
        return None

    def first_notice(self, kind: str, limited: Limited, key: int) -> bool:
        """True once per notice interval for a limited sender or group (`key`): whether to say so again."""
        if (kind, limited.scope, key) in self._told:
            return False
        self._told[kind, limited.scope, key] = True
        return True

    async def _refused(self, scope: Scope, limit: tuple[Rate, RateLimitItem], ids: tuple[str, ...]) -> Limited:
        stats = await self._limiter.get_window_stats(limit[1], *ids)
        wait = max(1.0, stats.reset_time - time.time())
        logger.info("%s %s: %s rate limit reached, %.0f s to wait", scope, ids[-1], ids[0], wait)
        return Limited(scope, limit[0], wait)


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
