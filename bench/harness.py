"""Runs the real bot (real aiogram, provider and storage) in this process against the emulator process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import Application, create_app, polling_in_background
from bot.config import Settings

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
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    """The bot polling in this event loop, as `python -m bot` runs it (without signal handlers)."""
    async with create_app(settings) as app, polling_in_background(app):
        yield app


async def wait_idle(app: Application) -> None:
    """Until no update is being handled: the previous answer is complete and stored."""
    await app.inflight.drain(grace=60)
