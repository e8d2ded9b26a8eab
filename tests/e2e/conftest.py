"""The real bot (aiogram, provider, SQLite) against the emulated Telegram and ai-chats.org."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bot.app import Application, create_app, polling_in_background
from bot.config import Settings, StorageConfig
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.tg_chats import render_text
from tests.emulators.tg_models import ApiCall
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


def visible(sent: ApiCall | str) -> str:
    """What the user sees of a sent message: a recorded call (HTML or entities, text or caption), or HTML."""
    if isinstance(sent, str):
        return parse_telegram_html(sent)
    params = sent.params
    text, entities = ("text", "entities") if "text" in params else ("caption", "caption_entities")
    return render_text(params.get(text), params.get("parse_mode"), params.get(entities))[0]


def not_preview(call: ApiCall) -> bool:
    """A message meant to stay: a formatted answer (sent with entities) or one of the bot's own texts
    (HTML), not a plain-text preview."""
    return call.params.get("parse_mode") == "HTML" or "entities" in call.params
