"""The Redis history store beyond the shared contract: expiry, several clients at once, its data on the server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.storage import ConversationKey, Turn
from bot.storage.redis import RedisHistoryStore, connect_redis, redacted
from tests.helpers import free_port

KEY = ConversationKey(-100123, 7)


def exchange(n: int) -> list[Turn]:
    return [Turn("user", f"q{n}"), Turn("assistant", f"a{n}")]


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = connect_redis(redis_url)
    yield redis
    await redis.aclose()


async def test_turns_are_json_in_one_list_per_conversation(client: Redis, redis_prefix: str) -> None:
    store = RedisHistoryStore(client, limit=10, namespace=redis_prefix)
    turns = [Turn("user", 'Привет 👋 <b>&amp; "quoted"\nline'), Turn("assistant", "ok")]
    await store.append(KEY, turns)

    assert await store.get(KEY) == turns
    raw = await client.lrange(f"{redis_prefix}:history:-100123:7", 0, -1)
    assert [json.loads(item) for item in raw] == [t.as_message() for t in turns]
    assert await client.ttl(f"{redis_prefix}:history:-100123:7") == -1  # no HISTORY_TTL: kept


async def test_idle_conversations_expire_after_the_ttl(client: Redis, redis_prefix: str) -> None:
    store = RedisHistoryStore(client, limit=10, namespace=redis_prefix, ttl=100)
    name = f"{redis_prefix}:history:-100123:7"
    await store.append(KEY, exchange(1))
    assert 99 <= await client.ttl(name) <= 100
    await client.expire(name, 5)
    await store.append(KEY, exchange(2))  # a new turn: idle time starts again
    assert 99 <= await client.ttl(name) <= 100

    short = RedisHistoryStore(client, limit=10, namespace=redis_prefix, ttl=1)
    other = ConversationKey(5, 0)
    await short.append(other, exchange(3))
    assert [t.content for t in await short.get(other)] == ["q3", "a3"]
    assert 0 < await client.pttl(f"{redis_prefix}:history:5:0") <= 1000  # Redis drops it within a second
    assert [t.content for t in await store.get(KEY)] == ["q1", "a1", "q2", "a2"]


async def test_replicas_appending_at_once_lose_nothing_and_readers_never_see_more_than_the_limit(
    redis_url: str, redis_prefix: str
) -> None:
    replicas = [RedisHistoryStore(connect_redis(redis_url), limit=8, namespace=redis_prefix) for _ in range(3)]
    seen: list[int] = []
    done = asyncio.Event()

    async def append(store: RedisHistoryStore, base: int) -> None:
        for n in range(base, base + 40):
            await store.append(KEY, exchange(n))

    async def read(store: RedisHistoryStore) -> None:
        while not done.is_set():
            seen.append(len(await store.get(KEY)))

    reader = asyncio.create_task(read(replicas[0]))
    await asyncio.gather(*(append(store, 1000 * i) for i, store in enumerate(replicas)))
    done.set()
    await reader

    got = await replicas[1].get(KEY)
    assert len(got) == 8
    assert [t.role for t in got] == ["user", "assistant"] * 4  # trimmed by whole exchanges
    assert all(q.content[1:] == a.content[1:] for q, a in zip(got[::2], got[1::2], strict=True))
    assert seen and max(seen) <= 8  # push and trim are one transaction
    for store in replicas:
        await store.close()


async def test_bots_sharing_a_redis_keep_their_own_conversations(client: Redis, redis_prefix: str) -> None:
    first = RedisHistoryStore(client, limit=10, namespace=f"{redis_prefix}:1")
    second = RedisHistoryStore(client, limit=10, namespace=f"{redis_prefix}:2")
    await first.append(KEY, exchange(1))
    assert await second.get(KEY) == []
    await second.reset(KEY)
    assert len(await first.get(KEY)) == 2


async def test_ping_is_false_quickly_when_redis_is_down() -> None:
    store = RedisHistoryStore(connect_redis(f"redis://127.0.0.1:{free_port()}/0"), limit=10)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await store.ping() is False
    assert loop.time() - started < 3
    await store.close()


def test_passwords_are_redacted_for_logs() -> None:
    assert redacted("redis://:s3cret@redis.internal:6380/2") == "redis://:***@redis.internal:6380/2"
    assert redacted("rediss://user:s3cret@host/0") == "rediss://user:***@host/0"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


async def test_stats_count_this_bots_conversations_across_scan_batches(client: Redis, redis_prefix: str) -> None:
    store = RedisHistoryStore(client, limit=10, namespace=f"{redis_prefix}:bot")
    other_bot = RedisHistoryStore(client, limit=10, namespace=f"{redis_prefix}:other")
    await asyncio.gather(*(store.append(ConversationKey(n), exchange(n)) for n in range(520)))
    await store.append(ConversationKey(1), exchange(1))
    await other_bot.append(ConversationKey(1), exchange(1))

    stats = await store.stats()
    assert (stats.conversations, stats.turns) == (520, 1042)
