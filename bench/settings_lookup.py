"""Measure 7: what a conversation's settings (persona, model) add to a turn, with 10,000 conversations.

Every turn reads its chat's settings (`store.get_settings`) before the provider is asked. The store is
seeded with 10,000 conversations, a third of which chose a persona and a model; then each conversation is
looked up in random order, twice: the first pass is the first turn of each conversation after a start
(SQLite reads its row), the second a later turn (served from the store's cache). The goal is the p99 of a
later turn's lookup; the first ones and Redis (a network round trip, no cache: replicas share it) are shown
for context. Runnable alone: `python -m bench.settings_lookup [--conversations N] [--redis]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from bot.config import StorageConfig
from bot.storage import ChatSettings, ConversationKey, HistoryStore, open_store

from .stats import percentile
from .table import Row

GOAL_MS = 0.1
REDIS_URL = "redis://127.0.0.1:6379/15"


async def _seed(store: HistoryStore, keys: list[ConversationKey]) -> None:
    for n, key in enumerate(keys):
        if n % 3 == 0:
            await store.set_settings(key, ChatSettings(persona=f"Persona {n}. " * 20, model="m2"))


async def _lookups(store: HistoryStore, keys: list[ConversationKey]) -> list[float]:
    order = random.sample(keys, len(keys))
    timings = []
    for key in order:
        started = time.perf_counter()
        await store.get_settings(key.chat_scope)
        timings.append(time.perf_counter() - started)
    return timings


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


async def _sqlite(workdir: Path, keys: list[ConversationKey]) -> tuple[list[float], list[float]]:
    path = workdir / "settings.sqlite3"
    store = await open_store(StorageConfig("sqlite", path), 20)
    try:
        await _seed(store, keys)
    finally:
        await store.close()
    store = await open_store(StorageConfig("sqlite", path), 20)  # a fresh start: nothing cached
    try:
        return await _lookups(store, keys), await _lookups(store, keys)
    finally:
        await store.close()


async def _redis(keys: list[ConversationKey]) -> list[float]:
    namespace = f"bench-settings:{random.randrange(10**9)}"
    store = await open_store(StorageConfig("redis", url=REDIS_URL), 20, namespace=namespace)
    try:
        await _seed(store, keys)
        return await _lookups(store, keys)
    finally:
        redis = getattr(store, "redis", None)
        if redis is not None:
            async for name in redis.scan_iter(match=f"{namespace}:*", count=1000):
                await redis.delete(name)
        await store.close()


async def measure(workdir: Path, conversations: int, with_redis: bool = True) -> list[Row]:
    # Private chats and per-member group threads: settings of the latter live under the chat.
    keys = [ConversationKey(n) if n % 2 else ConversationKey(-n, 0, n) for n in range(1, conversations + 1)]
    first, later = await _sqlite(workdir, keys)
    p99 = percentile(later, 99)
    rows = [
        Row("7", f"settings lookup, later turn, SQLite, {conversations:,} conv. (p99)", _us(p99),
            f"≤ {GOAL_MS} ms", p99 <= GOAL_MS / 1000),
        Row("7", "settings lookup, first turn after a start, SQLite (p50 / p99)",
            f"{_us(percentile(first, 50))} / {_us(percentile(first, 99))}"),
    ]
    if with_redis:
        try:
            remote = await _redis(keys)
        except Exception as error:  # no Redis here: the SQLite figures still stand
            rows.append(Row("7", "settings lookup, Redis", f"skipped: {type(error).__name__}"))
        else:
            rows.append(Row("7", "settings lookup, Redis, every turn (p50 / p99)",
                            f"{_us(percentile(remote, 50))} / {_us(percentile(remote, 99))}"))
    return rows


def main() -> None:
    from .table import render

    parser = argparse.ArgumentParser(prog="python -m bench.settings_lookup", description=__doc__)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--redis", action="store_true", help=f"also measure Redis at {REDIS_URL}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        rows = asyncio.run(measure(Path(tmp), args.conversations, args.redis))
    print(render(rows))


if __name__ == "__main__":
    main()
