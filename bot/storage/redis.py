"""History in Redis, shared by every replica of the bot.

One list per conversation (`<namespace>:history:<chat>:<thread>`, `...:<user>` for a member's own thread in
a group), one JSON object per turn. An append is RPUSH + LTRIM (+ EXPIRE) in one MULTI/EXEC transaction, so
no reader ever sees an exchange half-stored or the list longer than the limit, and an idle conversation
expires as a whole after `ttl` seconds. A chat's settings are a hash (`...:settings:<chat>:<thread>...`),
and the tokens of a day one hash per day (`<namespace>:usage:<day>`, user id → tokens), kept a few days.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .base import ChatSettings, ConversationKey, StoreStats, Turn

logger = logging.getLogger(__name__)

# A dead Redis must fail a turn (and /healthz) in seconds, not hang it: short timeouts, one quick retry
# instead of redis-py's default ten. The same timeouts for every client: history, locks, /cancel, rate limits.
SOCKET_TIMEOUT = 2.0
CLIENT_TIMEOUTS: dict[str, Any] = {
    "socket_timeout": SOCKET_TIMEOUT,
    "socket_connect_timeout": 2.0,
    "health_check_interval": 30,
}
PING_TIMEOUT = 2.0
# Connections per process; beyond that callers wait for one (up to SOCKET_TIMEOUT) instead of failing.
MAX_CONNECTIONS = 64
USAGE_KEPT_SECONDS = 3 * 86400  # a day's token counts outlive the day for /stats, then go


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
        retry=Retry(ExponentialBackoff(cap=0.25, base=0.02), retries=1),
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

    def _name(self, kind: str, key: ConversationKey) -> str:
        suffix = f":{key.user_id}" if key.user_id else ""  # shared conversations keep their first-release keys
        return f"{self._namespace}:{kind}:{key.chat_id}:{key.thread_id}{suffix}"

    async def get(self, key: ConversationKey) -> list[Turn]:
        items = await self._redis.lrange(self._name("history", key), 0, -1)
        return [Turn.from_json(json.loads(item)) for item in items]

    async def append(self, key: ConversationKey, turns: Sequence[Turn], *, replace_last: int = 0) -> None:
        if not turns and not replace_last:
            return
        name = self._name("history", key)
        encoded = [json.dumps(turn.to_json(), ensure_ascii=False) for turn in turns]
        async with self._redis.pipeline(transaction=True) as pipe:
            if replace_last:
                pipe.ltrim(name, 0, -replace_last - 1)
            if encoded:
                pipe.rpush(name, *encoded)
            pipe.ltrim(name, -self._limit, -1)
            if self._ttl:
                pipe.expire(name, self._ttl)
            await pipe.execute()

    async def reset(self, key: ConversationKey) -> None:
        await self._redis.delete(self._name("history", key))

    async def get_settings(self, key: ConversationKey) -> ChatSettings:
        fields = cast(dict[str, str], await self._redis.hgetall(self._name("settings", key)))  # decoded responses
        return ChatSettings(persona=fields.get("persona"), model=fields.get("model"))

    async def set_settings(self, key: ConversationKey, settings: ChatSettings) -> None:
        name = self._name("settings", key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            for field, value in (("persona", settings.persona), ("model", settings.model)):
                if value is not None:
                    pipe.hset(name, field, value)
            await pipe.execute()

    async def add_usage(self, day: str, tokens: Mapping[int, int]) -> None:
        name = f"{self._namespace}:usage:{day}"
        async with self._redis.pipeline(transaction=True) as pipe:
            for user_id, count in tokens.items():
                pipe.hincrby(name, str(user_id), count)
            pipe.expire(name, USAGE_KEPT_SECONDS)
            await pipe.execute()

    async def usage(self, user_id: int, day: str) -> int:
        return int(await self._redis.hget(f"{self._namespace}:usage:{day}", str(user_id)) or 0)

    async def top_usage(self, day: str, limit: int) -> list[tuple[int, int]]:
        counts = await self._redis.hgetall(f"{self._namespace}:usage:{day}")
        ranked = sorted(((int(user), int(tokens)) for user, tokens in counts.items()), key=lambda i: (-i[1], i[0]))
        return ranked[:limit]

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
            conversations += 1
            names.append(name)
            if len(names) == 500:
                turns += await self._count_turns(names)
                names = []
        turns += await self._count_turns(names)
        return StoreStats(conversations, turns)

    async def _count_turns(self, names: list[str]) -> int:
        if not names:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            return sum(await pipe.execute())

    async def close(self) -> None:
        await self._redis.aclose()
