"""Runs the real bot in this process against the emulators used by the tests."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.app import Application, create_app, run_polling
from bot.config import Settings, StorageConfig
from tests.emulators import AiChatsEmulator, TelegramEmulator

TOKEN = "123456:BENCH-token"


@dataclass
class Rig:
    tg: TelegramEmulator
    ai: AiChatsEmulator
    settings: Settings


@asynccontextmanager
async def rig(workdir: Path, **overrides: object) -> AsyncIterator[Rig]:
    async with TelegramEmulator(token=TOKEN, bot_username="BenchBot", bot_id=123456) as tg, \
            AiChatsEmulator() as ai:
        settings = Settings(
            bot_token=TOKEN, telegram_api_url=tg.base_url, aichats_url=ai.base_url,
            storage=StorageConfig("sqlite", workdir / "bench.sqlite3"),
        )
        for name, value in overrides.items():
            object.__setattr__(settings, name, value)
        yield Rig(tg, ai, settings)


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    async with create_app(settings) as app:
        started = asyncio.Event()
        app.dispatcher.startup.register(started.set)
        task = asyncio.create_task(run_polling(app, handle_signals=False))
        await started.wait()
        try:
            yield app
        finally:
            await app.dispatcher.stop_polling()
            await task


async def wait_idle(app: Application) -> None:
    """Until no update is being handled: the previous answer is complete and stored."""
    await app.inflight.drain(grace=60)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
