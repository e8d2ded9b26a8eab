"""Every history store honours the same contract: order, limit, reset, atomic concurrent appends.

The Redis store runs against a real Redis server (see tests/conftest.py); its own tests are in test_storage_redis.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import ConversationKey, HistoryStore, MemoryHistoryStore, SQLiteHistoryStore, Turn
from bot.storage.redis import RedisHistoryStore, connect_redis

KEY = ConversationKey(100, 0)


BACKENDS = ["memory", "sqlite", "redis"]


async def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path, limit: int) -> HistoryStore:
    """Only the Redis cases ask for a Redis server, so the others run on machines without one."""
    if kind == "memory":
        return MemoryHistoryStore(limit)
    if kind == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        return RedisHistoryStore(connect_redis(url), limit, namespace=prefix)
    return await SQLiteHistoryStore.open(tmp_path / "sub" / "h.sqlite3", limit)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HistoryStore]:
    s = await open_backend(request.param, request, tmp_path, limit=6)
    yield s
    await s.close()


def exchange(n: int) -> list[Turn]:
    return [Turn("user", f"q{n}"), Turn("assistant", f"a{n}")]


async def test_keeps_order_and_trims_to_limit(store: HistoryStore) -> None:
    for n in range(5):
        await store.append(KEY, exchange(n))
    got = await store.get(KEY)
    assert [t.content for t in got] == ["q2", "a2", "q3", "a3", "q4", "a4"]
    assert [t.role for t in got] == ["user", "assistant"] * 3


async def test_conversations_are_separate(store: HistoryStore) -> None:
    topic = ConversationKey(100, 7)
    await store.append(KEY, exchange(1))
    await store.append(topic, exchange(2))
    await store.append(ConversationKey(-100, 0), exchange(3))
    assert [t.content for t in await store.get(KEY)] == ["q1", "a1"]
    assert [t.content for t in await store.get(topic)] == ["q2", "a2"]
    assert await store.get(ConversationKey(5, 0)) == []


async def test_reset_forgets_one_conversation(store: HistoryStore) -> None:
    other = ConversationKey(200, 0)
    await store.append(KEY, exchange(1))
    await store.append(other, exchange(2))
    await store.reset(KEY)
    assert await store.get(KEY) == []
    assert [t.content for t in await store.get(other)] == ["q2", "a2"]
    assert await store.ping()


@pytest.mark.parametrize("kind", BACKENDS)
async def test_concurrent_appends_keep_every_turn(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> None:
    s = await open_backend(kind, request, tmp_path, limit=1000)
    await asyncio.gather(*(s.append(KEY, exchange(n)) for n in range(100)))
    got = await s.get(KEY)
    assert len(got) == 200
    # Each exchange stays together: appends are atomic.
    pairs = [(got[i].content, got[i + 1].content) for i in range(0, 200, 2)]
    assert sorted(pairs) == sorted((f"q{n}", f"a{n}") for n in range(100))
    await s.close()


async def test_sqlite_history_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    first = await SQLiteHistoryStore.open(path, limit=10)
    await first.append(KEY, [Turn("user", "Привет 👋 <b>&amp;"), Turn("assistant", "ok")])
    await first.close()
    second = await SQLiteHistoryStore.open(path, limit=10)
    assert await second.get(KEY) == [Turn("user", "Привет 👋 <b>&amp;"), Turn("assistant", "ok")]
    await second.close()
