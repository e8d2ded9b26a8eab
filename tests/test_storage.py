"""Every history store honours the same contract: order, limit, reset, atomic concurrent appends.

The Redis store runs against a real Redis server (see tests/conftest.py); its own tests are in test_storage_redis.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from bot.storage import ChatSettings, ConversationKey, HistoryStore, MemoryHistoryStore, SQLiteHistoryStore, Turn
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


async def test_images_travel_with_their_turn(store: HistoryStore) -> None:
    asked = Turn("user", "what is this?", images=("AgACAgIAAxk-1", "AgACAgIAAxk-2"))
    await store.append(KEY, [asked, Turn("assistant", "a cat")])
    assert await store.get(KEY) == [asked, Turn("assistant", "a cat")]


async def test_an_answer_given_again_replaces_the_last_exchange(store: HistoryStore) -> None:
    await store.append(KEY, exchange(1))
    await store.append(KEY, exchange(2))
    await store.append(KEY, [Turn("user", "q2"), Turn("assistant", "a2, again")], replace_last=2)
    assert [t.content for t in await store.get(KEY)] == ["q1", "a1", "q2", "a2, again"]


async def test_members_of_a_group_can_have_their_own_conversations(store: HistoryStore) -> None:
    shared, alice, bob = ConversationKey(-100, 3), ConversationKey(-100, 3, 11), ConversationKey(-100, 3, 12)
    await store.append(shared, exchange(0))
    await store.append(alice, exchange(1))
    await store.append(bob, exchange(2))
    await store.reset(alice)
    assert await store.get(alice) == []
    assert [t.content for t in await store.get(bob)] == ["q2", "a2"]
    assert [t.content for t in await store.get(shared)] == ["q0", "a0"]
    assert alice.chat_scope == shared


async def test_settings_are_per_chat_and_default_to_none(store: HistoryStore) -> None:
    assert await store.get_settings(KEY) == ChatSettings()
    await store.set_settings(KEY, ChatSettings(persona="You are a pirate.", model="m2"))
    await store.set_settings(ConversationKey(100, 5), ChatSettings(model="m3"))
    assert await store.get_settings(KEY) == ChatSettings(persona="You are a pirate.", model="m2")
    await store.set_settings(KEY, ChatSettings(model="m2"))  # the persona reset to the default
    assert await store.get_settings(KEY) == ChatSettings(model="m2")
    assert await store.get_settings(ConversationKey(100, 5)) == ChatSettings(model="m3")


async def test_usage_adds_up_per_user_and_day(store: HistoryStore) -> None:
    await store.add_usage("2026-12-02", {7: 100})
    await store.add_usage("2026-12-02", {7: 50, 8: 400})
    await store.add_usage("2026-12-03", {7: 5})
    assert await store.usage(7, "2026-12-02") == 150
    assert await store.usage(9, "2026-12-02") == 0
    assert await store.top_usage("2026-12-02", 10) == [(8, 400), (7, 150)]
    assert await store.top_usage("2026-12-02", 1) == [(8, 400)]


async def test_sqlite_settings_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    first = await SQLiteHistoryStore.open(path, limit=10)
    await first.set_settings(KEY, ChatSettings(persona="Terse."))
    await first.close()
    second = await SQLiteHistoryStore.open(path, limit=10)
    assert await second.get_settings(KEY) == ChatSettings(persona="Terse.")
    await second.close()


async def test_a_file_of_the_first_release_is_migrated_in_place(tmp_path: Path) -> None:
    """tests/data/history-v0.sqlite3 was written by the first release (schema without users, images, settings)."""
    path = tmp_path / "bot.sqlite3"
    shutil.copy(Path(__file__).parent / "data" / "history-v0.sqlite3", path)
    store = await SQLiteHistoryStore.open(path, limit=4)
    assert await store.get(ConversationKey(1001)) == [Turn("user", "What is 2+2?"), Turn("assistant", "4")]
    topic = ConversationKey(-1001000000001, 7)
    assert [t.content for t in await store.get(topic)] == ["Привет 👋", "Здравствуйте!"]
    await store.append(topic, [Turn("user", "ещё", images=("file-1",)), Turn("assistant", "ok")])
    await store.append(topic, exchange(9))
    assert [t.content for t in await store.get(topic)] == ["ещё", "ok", "q9", "a9"]
    await store.set_settings(topic, ChatSettings(model="m2"))
    await store.close()
    reopened = await SQLiteHistoryStore.open(path, limit=4)  # already current: opened as it is
    assert (await reopened.get(topic))[0].images == ("file-1",)
    assert await reopened.get_settings(topic) == ChatSettings(model="m2")
    assert (await reopened.stats()).conversations == 2
    await reopened.close()


async def test_token_counts_are_written_behind_in_one_write(tmp_path: Path) -> None:
    from bot.services.usage import UsageService

    store = await SQLiteHistoryStore.open(tmp_path / "h.sqlite3", limit=10)
    writes: list[dict[int, int]] = []
    add_usage = store.add_usage

    async def counted(day: str, tokens: Mapping[int, int]) -> None:
        writes.append(dict(tokens))
        await add_usage(day, tokens)

    store.add_usage = counted  # type: ignore[method-assign]  # a spy on this one instance
    usage = UsageService(store, flush_after=3600)  # no timed flush in this test: only the explicit ones
    for user, tokens in [(1, 10), (2, 5), (1, 7)]:
        usage.record(user, tokens)
    assert await usage.used(1) == 17 and writes == []  # exact at once, not yet written
    await usage.close()
    assert writes == [{1: 17, 2: 5}]  # one write for every user
    assert await store.usage(1, usage.today()) == 17
    await store.close()
