"""Runs the real bot (real aiogram, provider and storage) in this process against the emulator process, and
the baseline it is compared with: a bare aiogram bot that echoes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from bot.app import Application, create_app, polling_in_background
from bot.config import Settings
from bot.heap import frozen_heap

from .emulators import TOKEN, EmulatorProcess


def bot_settings(emu: EmulatorProcess, workdir: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Settings the way the bot reads them, from variables: options the bench does not name keep defaults."""
    return Settings.from_env({
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.tg_url,
        "AICHATS_URL": emu.ai_url,
        "STORAGE_URL": f"sqlite:///{workdir.resolve() / 'bench.sqlite3'}",
        "LOG_LEVEL": "ERROR",
        **(env or {}),
    })


@asynccontextmanager
async def running_bot(settings: Settings, *, tune_collector: bool = True) -> AsyncIterator[Application]:
    """The bot polling in this event loop, as `python -m bot` runs it (without signal handlers): with the
    collector tuning bot/__main__.py opts into, unless `tune_collector` is False (`--default-collector`)."""
    async with create_app(settings) as app:
        with frozen_heap() if tune_collector else nullcontext():
            async with polling_in_background(app):
                yield app


async def wait_idle(app: Application) -> None:
    """Until no update is being handled: the previous answer is complete and stored."""
    await app.inflight.drain(grace=60)


def echo_handler(delay: float) -> Callable[[Message], Awaitable[None]]:
    async def echo(message: Message) -> None:
        if delay:
            await asyncio.sleep(delay)  # stands in for the model's latency
        await message.answer(message.text or "")

    return echo


@asynccontextmanager
async def echo_bot(api_url: str, delay: float = 0.0) -> AsyncIterator[None]:
    """The baseline: aiogram and nothing else, one handler that waits `delay` seconds and echoes the text."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()
    dispatcher.message.register(echo_handler(delay))
    started = asyncio.Event()
    dispatcher.startup.register(started.set)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    await started.wait()
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await task
        await bot.session.close()
