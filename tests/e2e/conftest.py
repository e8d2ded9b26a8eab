"""The real bot (aiogram, provider, SQLite) against the emulated Telegram and ai-chats.org."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bot.app import Application, create_app, polling_in_background
from bot.config import Settings, StorageConfig
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.telegram_html import parse_telegram_html

TOKEN = "123456:TEST-token"
USER = 1001
GROUP = -1001000000001

RunBot = Callable[[Settings], AbstractAsyncContextManager[Application]]


@pytest.fixture
def token() -> str:
    """Tests that share a Redis override this with a bot id of their own, so their keys never meet."""
    return TOKEN


@pytest.fixture
async def tg(token: str) -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=token, bot_username="TestAiBot", bot_id=int(token.split(":")[0])) as emulator:
        yield emulator
        assert not emulator.errors, "the emulator itself crashed"


@pytest.fixture
async def ai() -> AsyncIterator[AiChatsEmulator]:
    async with AiChatsEmulator() as emulator:
        yield emulator


@pytest.fixture
def settings(tmp_path: Path, token: str, tg: TelegramEmulator, ai: AiChatsEmulator) -> Settings:
    return Settings(
        bot_token=token,
        telegram_api_url=tg.base_url,
        aichats_url=ai.base_url,
        storage=StorageConfig("sqlite", tmp_path / "data" / "bot.sqlite3"),
    )


@pytest.fixture
def run_bot(tg: TelegramEmulator) -> RunBot:
    """Start polling in this event loop; leaving the block stops it the way a signal would."""

    @asynccontextmanager
    async def running(settings: Settings) -> AsyncIterator[Application]:
        async with create_app(settings) as app, polling_in_background(app):
            yield app

    return running


@pytest.fixture
async def app(run_bot: RunBot, settings: Settings) -> AsyncIterator[Application]:
    async with run_bot(settings) as running:
        yield running


def visible(html: str) -> str:
    """What the user sees of a message sent with parse_mode=HTML."""
    return parse_telegram_html(html)
