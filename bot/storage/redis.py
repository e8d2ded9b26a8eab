"""History in Redis, shared by every replica of the bot.

One list per conversation (`<namespace>:history:<chat>:<thread>`), one JSON object per turn. An append is
RPUSH + LTRIM (+ EXPIRE) in one MULTI/EXEC transaction, so no reader ever sees an exchange half-stored or
the list longer than the limit, and an idle conversation expires as a whole after `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .base import ConversationKey, StoreStats, Turn

logger = logging.getLogger(__name__)

# A dead Redis must fail a turn (and /healthz) in seconds, not hang it: short timeouts, one quick retry
# instead of redis-py's default ten. The same timeouts for every client: history, locks, /cancel, rate limits.
CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 2.0
RETRIES = 1
HEALTH_CHECK_INTERVAL = 30
CLIENT_TIMEOUTS = {
    "socket_timeout": SOCKET_TIMEOUT,
    "socket_connect_timeout": CONNECT_TIMEOUT,
    "health_check_interval": HEALTH_CHECK_INTERVAL,
}
PING_TIMEOUT = 2.0
# Connections per process; beyond that callers wait for one (up to SOCKET_TIMEOUT) instead of failing.
MAX_CONNECTIONS = 64


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect_redis(url: str) -> Redis:
    """A client for `redis://` or `rediss://` URLs; decoded strings in and out.

    A blocking pool: a burst of turns waits for a free connection rather than failing with "Too many
    connections", as redis-py's default pool does past 100.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=SOCKET_TIMEOUT,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.25, base=0.02), RETRIES),
        **CLIENT_TIMEOUTS,
    )
    return Redis.from_pool(pool)


class RedisHistoryStore:
    """The HistoryStore protocol on Redis; `redis` is shared with the conversation locks and redelivery check."""

    def __init__(self, redis: Redis, limit: int, *, namespace: str = "aichats", ttl: int | None = None) -> None:
        self._redis = redis
        self._limit = limit
        self._namespace = namespace
        self._ttl = ttl

    @classmethod
    async def open(
        cls, url: str, limit: int, *, namespace: str = "aichats", ttl: int | None = None
    ) -> RedisHistoryStore:
        """Connect lazily: an unreachable Redis is logged, and /healthz reports it until it is back."""
        store = cls(connect_redis(url), limit, namespace=namespace, ttl=ttl)
        if await store.ping():
            logger.info("History store: Redis at %s", redacted(url))
        else:
            logger.warning("History store: Redis at %s is not reachable (yet)", redacted(url))
        return store

    @property
    def redis(self) -> Redis:
        return self._redis

    @property
    def namespace(self) -> str:
        return self._namespace

    def _key(self, key: ConversationKey) -> str:
        return f"{self._namespace}:history:{key.chat_id}:{key.thread_id}"

    async def get(self, key: ConversationKey) -> list[Turn]:
        items = await self._redis.lrange(self._key(key), 0, -1)
        turns = []
        for item in items:
            data = json.loads(item)
            turns.append(Turn(data["role"], data["content"]))
        return turns

    async def append(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        if not turns:
            return
        name = self._key(key)
        encoded = [json.dumps({"role": t.role, "content": t.content}, ensure_ascii=False) for t in turns]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(name, *encoded)
            pipe.ltrim(name, -self._limit, -1)
            if self._ttl:
                pipe.expire(name, self._ttl)
            await pipe.execute()

    async def reset(self, key: ConversationKey) -> None:
        await self._redis.delete(self._key(key))

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                return bool(await self._redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def stats(self) -> StoreStats:
        """SCAN in batches (never KEYS): counting must not block the server every replica shares."""
        conversations = turns = 0
        names: list[str] = []
        async for name in self._redis.scan_iter(match=f"{self._namespace}:history:*", count=500):
            names.append(name)
            if len(names) == 500:
                turns += await self._count_turns(names)
                conversations, names = conversations + len(names), []
        turns += await self._count_turns(names)
        return StoreStats(conversations + len(names), turns)

    async def _count_turns(self, names: list[str]) -> int:
        if not names:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            return sum(await pipe.execute())

    async def close(self) -> None:
        await self._redis.aclose()
