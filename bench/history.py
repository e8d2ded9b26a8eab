"""Measure 3: memory and history latency with 10,000 conversations × 20 turns, through the bot's own stores.

Each backend runs in a fresh interpreter (`python -m bench.history BACKEND ...`) that first runs the whole
bot and has it serve a few /ask (private chat and group) and a /draw through the emulators, so that the
aiogram types, methods and connections a serving bot builds are built: its RSS is what a bot process with
that much history holds. The bot keeps polling while the store is measured. Every conversation is then
read and appended to once, in random order, as the bot does for a turn (get, then append a question and
its answer), and each read+append is timed. The SQLite file is seeded directly in the store's own schema,
turn by turn across all conversations as real traffic interleaves them (100,000 appends through the
store would take half a minute); Redis is seeded through the store. Redis runs on 127.0.0.1:6379 in
database 15 under a key prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.loop import run

from .emulators import ROOT, EmulatorProcess, Send
from .memory import rss_mb
from .stats import ms, percentile
from .table import Row

if TYPE_CHECKING:
    from bot.app import Application

GOAL_MB = 100
GOAL_MS = 2.0
REDIS_URL = "redis://127.0.0.1:6379/15"
QUESTION = "How do I keep a conversation's history small and fast to read? " * 2
SERVED_ANSWER = "Hello! How can I **help**?"
ANSWER = "Keep only the last turns, index them by conversation, and read them in one query. " * 8


async def measure(workdir: Path, conversations: int = 10_000, turns: int = 20, whole_bot: bool = True) -> list[Row]:
    """`whole_bot` False skips running the bot, for a smoke run: RSS is then the store's."""
    rows: list[Row] = []
    for backend in ("sqlite", "redis"):
        label = f"{backend}, {conversations:,} conversations × {turns} turns"
        result = await _run_child(backend, workdir / "history.sqlite3", conversations, turns, whole_bot)
        if "skipped" in result:
            rows += [Row("3", f"{label}: {what}", f"not measured: {result['skipped']}")
                     for what in ("bot process RSS", "history read+append")]
            continue
        latencies = result["latencies"]
        p99 = percentile(latencies, 99)
        rows.append(Row(
            "3", f"{label}: bot process RSS",
            f"{result['rss']:.0f} MB (peak {result['peak']:.0f} MB; "
            + (f"{result['imports']:.0f} MB having served 3 updates, `import aiogram` {result['aiogram']:.0f} MB)"
               if "aiogram" in result else f"{result['imports']:.0f} MB after imports)")
            + (f"; Redis server +{result['server_mb']:.0f} MB" if "server_mb" in result else ""),
            f"≤ {GOAL_MB} MB", result["peak"] <= GOAL_MB,
        ))
        rows.append(Row(
            "3", f"{label}: history read+append",
            f"p99 {ms(p99)} (p50 {ms(percentile(latencies, 50))}, max {ms(max(latencies))}, "
            f"{len(latencies):,} turns)",
            f"≤ {GOAL_MS:g} ms", p99 * 1000 <= GOAL_MS,
        ))
    return rows


async def _run_child(backend: str, path: Path, conversations: int, turns: int, whole_bot: bool) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.history", backend, str(path), str(conversations), str(turns),
        *([] if whole_bot else ["--store-only"]), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"bench.history {backend} exited with {process.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def _seed_sqlite(path: Path, conversations: int, turns: int) -> None:
    """`turns` turns in every conversation, written round-robin like real traffic interleaves them."""
    with sqlite3.connect(path) as db:
        now = time.time()
        for turn in range(turns):
            role, content = ("user", QUESTION) if turn % 2 == 0 else ("assistant", ANSWER)
            db.executemany(
                "INSERT INTO turns (chat_id, thread_id, role, content, created_at) VALUES (?, 0, ?, ?, ?)",
                ((chat, role, content, now) for chat in range(1, conversations + 1)),
            )


async def _child(backend: str, path: Path, conversations: int, turns: int, whole_bot: bool) -> dict[str, Any]:
    if not whole_bot:
        return await _measure_store(backend, path, conversations, turns, {"imports": rss_mb()})
    from bot.lazy_types import import_aiogram_lazily

    result: dict[str, Any] = {}
    import_aiogram_lazily()  # as `python -m bot` does: aiogram's types are built on first use

    result["aiogram"] = rss_mb()
    from .emulators import Knobs, emulator_process
    from .harness import bot_settings, running_bot

    async with emulator_process(Knobs(answer=SERVED_ANSWER, image_bytes=64 * 1024)) as emu, \
            running_bot(bot_settings(emu, path.parent, {"STORAGE_URL": "memory://"})) as app:
        await _serve(emu, app)
        result["imports"] = rss_mb()
        return await _measure_store(backend, path, conversations, turns, result)


async def _serve(emu: EmulatorProcess, app: Application) -> None:
    """A few real updates, so that everything a serving bot builds on first use is built."""
    from .harness import wait_idle

    sends = [Send("/ask hello", 1), Send("/ask hello", -1001, "supergroup"), Send("/draw a cat", 2)]
    for send in sends:
        arrivals = await emu.burst([send], ("sendMessage", "sendPhoto"), timeout=30)
        await wait_idle(app)
        if arrivals.wrong or send.chat_id not in arrivals.first:
            raise RuntimeError(f"the bot did not serve {send.text!r}: {arrivals.wrong}")


async def _measure_store(
    backend: str, path: Path, conversations: int, turns: int, result: dict[str, Any]
) -> dict[str, Any]:
    from bot.storage import ConversationKey, HistoryStore, SQLiteHistoryStore, Turn

    store: HistoryStore
    if backend == "sqlite":
        store = await SQLiteHistoryStore.open(path, turns)
        _seed_sqlite(path, conversations, turns)
    else:
        store_or_reason = await _open_redis(turns, conversations)
        if isinstance(store_or_reason, str):
            return {"skipped": store_or_reason}
        store, result["server_before"] = store_or_reason
    exchange = [Turn("user", QUESTION), Turn("assistant", ANSWER)]
    keys = [ConversationKey(chat) for chat in range(1, conversations + 1)]
    random.Random(8).shuffle(keys)
    latencies = []
    try:
        for key in keys:
            started = time.perf_counter()
            await store.get(key)
            await store.append(key, exchange)
            latencies.append(time.perf_counter() - started)
        if backend == "redis":
            result["server_mb"] = (await _redis_used(store) - result.pop("server_before")) / 2**20
    finally:
        if backend == "redis":
            await _redis_cleanup(store)
        await store.close()
    return {**result, "latencies": latencies, "rss": rss_mb(), "peak": rss_mb("VmHWM")}


async def _open_redis(turns: int, conversations: int) -> tuple[Any, int] | str:
    try:
        from bot.storage.redis import RedisHistoryStore
    except ImportError as error:
        return f"no Redis store in bot/storage yet ({error})"
    store = await RedisHistoryStore.open(REDIS_URL, turns, namespace=f"bench{time.time_ns()}")
    if not await store.ping():
        await store.close()
        return f"no Redis at {REDIS_URL}"
    before = await _redis_used(store)
    from bot.storage import ConversationKey

    history = [store_turn for _ in range(turns // 2) for store_turn in _exchange()]
    chats = iter(range(1, conversations + 1))

    async def seed() -> None:  # 64 of these share the work: 10,000 tasks at once would weigh on the RSS
        for chat in chats:
            await store.append(ConversationKey(chat), history)

    await asyncio.gather(*(seed() for _ in range(64)))
    return store, before


def _exchange() -> list[Any]:
    from bot.storage import Turn

    return [Turn("user", QUESTION), Turn("assistant", ANSWER)]


async def _redis_used(store: Any) -> int:
    info = await store.redis.info("memory")
    return int(info["used_memory"])


async def _redis_cleanup(store: Any) -> None:
    """Delete every key under the run's prefix (and only those: database 15 may be someone else's too)."""
    keys = [key async for key in store.redis.scan_iter(match=f"{store.namespace}:*", count=1000)]
    for start in range(0, len(keys), 1000):
        await store.redis.delete(*keys[start : start + 1000])


def main() -> None:
    parser = argparse.ArgumentParser(description="one backend of measure 3, in a fresh process (prints JSON)")
    parser.add_argument("backend", choices=("sqlite", "redis"))
    parser.add_argument("path", type=Path)
    parser.add_argument("conversations", type=int)
    parser.add_argument("turns", type=int)
    parser.add_argument("--store-only", action="store_true", help="do not import the rest of the bot")
    args = parser.parse_args()
    result = run(_child(args.backend, args.path, args.conversations, args.turns, not args.store_only))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
