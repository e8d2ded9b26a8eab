"""Webhook mode in this process: setWebhook with the secret, 401 without it, /healthz, redelivery, draining.

The bot stores in a real Redis (tests/conftest.py); Telegram's side is the emulator, which posts updates to
the bot's local port the way a TLS proxy in front of it would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot import texts
from bot.app import Application, StartupError, create_app
from bot.config import Settings, StorageConfig
from bot.storage import ConversationKey
from bot.webhook import run_webhook
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.helpers import free_port
from tests.settings import changed
from tests.tcp_proxy import TcpProxy

from .conftest import USER, visible

PUBLIC_URL = "https://bot.example.test"
SECRET = "s3cret_webhook-token"


@pytest.fixture
def token(bot_id: int) -> str:
    return f"{bot_id}:TEST-token"


@pytest.fixture
def settings(token: str, tg: TelegramEmulator, ai: AiChatsEmulator, redis_url: str) -> Settings:
    return Settings(
        bot_token=token,
        telegram_api_url=tg.base_url,
        aichats_url=ai.base_url,
        storage=StorageConfig("redis", url=redis_url),
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        web_server_port=free_port(),
    )


def local_url(settings: Settings, path: str | None = None) -> str:
    assert settings.webhook is not None
    return f"http://127.0.0.1:{settings.webhook.port}{settings.webhook.path if path is None else path}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Application]:
    """run_webhook in this loop until the block ends; leaving it stops the bot as SIGTERM would."""
    async with create_app(settings) as app:
        stop = asyncio.Event()
        task = asyncio.create_task(run_webhook(app, stop=stop))
        async with asyncio.timeout(10):
            while True:
                if task.done():
                    task.result()  # start-up failed: raise its error here
                try:
                    await get(local_url(settings, "/healthz"))
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
        try:
            yield app
        finally:
            stop.set()
            await task


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Application]:
    async with serving(settings) as running:
        yield running


async def test_registers_the_webhook_and_answers_what_telegram_posts(
    app: Application, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    assert tg.webhook["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert tg.webhook["secret_token"] == SECRET
    assert tg.allowed_updates is not None and "message" in tg.allowed_updates
    assert not tg.calls_of("deleteWebhook")  # that would stop the other replicas' deliveries
    ai.answers = ["Hello **there**"]

    status = await tg.post_update_to(local_url(settings), tg.message_update("/ask Hi"), SECRET)

    assert status == 200
    [reply] = await tg.wait_for("sendMessage")
    assert reply.params["text"] == "Hello there"
    assert reply.params["entities"] == [{"type": "bold", "offset": 6, "length": 5}]
    assert await app.inflight.drain(5)  # the turn is stored once its answer was delivered
    assert [t.content for t in await app.store.get(ConversationKey(USER))] == ["Hi", "Hello **there**"]
    assert await get(local_url(settings, "/healthz")) == (200, "ok")


async def test_a_request_without_the_secret_gets_401_and_is_ignored(
    app: Application, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    wrong = await tg.post_update_to(local_url(settings), tg.message_update("/ask Hi"), "wrong-secret")
    missing = await tg.post_update_to(local_url(settings), tg.message_update("/ask Hi"), None)

    assert (wrong, missing) == (401, 401)
    assert app.inflight.count == 0  # an accepted update is tracked before its answer: none was
    assert not tg.calls_of("sendMessage") and not tg.calls_of("sendChatAction")
    assert ai.hits == {}


async def test_healthz_is_503_when_redis_is_down(settings: Settings, tg: TelegramEmulator) -> None:
    down = changed(settings, storage=StorageConfig("redis", url=f"redis://127.0.0.1:{free_port()}/0"))
    async with serving(down):
        status, _ = await get(local_url(down, "/healthz"))
    assert status == 503


async def test_an_update_delivered_twice_is_answered_once(
    app: Application, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.chunk_delay = 0.02
    update = tg.message_update("/ask once")
    statuses = await asyncio.gather(*(tg.post_update_to(local_url(settings), update, SECRET) for _ in range(2)))
    await tg.wait_for("sendMessage")
    assert await tg.post_update_to(local_url(settings), update, SECRET) == 200  # a late retry, too
    assert await app.inflight.drain(10)  # every copy accepted was tracked before its 200: all are done

    assert statuses == [200, 200]
    assert len(tg.calls_of("sendMessage")) == 1
    assert ai.chat_prompts == ["once"]


async def test_stopping_finishes_the_answers_in_flight(
    settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.chunk_size, ai.chunk_delay = 2, 0.05
    ai.answers = ["a slow but complete answer"]
    async with serving(settings) as app:
        await tg.post_update_to(local_url(settings), tg.message_update("/ask Hi"), SECRET)
        await tg.wait_for("sendChatAction")  # the handler is running; leaving the block stops the bot
        assert app.inflight.count == 1
    [reply] = tg.calls_of("sendMessage")
    assert visible(reply) == "a slow but complete answer"
    async with serving(settings) as app:  # and the turn was stored before the bot let go
        assert [t.content for t in await app.store.get(ConversationKey(USER))] == ["Hi", "a slow but complete answer"]


async def test_a_taken_port_stops_start_up_with_a_clear_error(settings: Settings) -> None:
    assert settings.webhook is not None
    blocker = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", settings.webhook.port)
    try:
        with pytest.raises(StartupError, match=f"cannot listen on 127.0.0.1:{settings.webhook.port}"):
            async with serving(settings):
                pass
    finally:
        blocker.close()
        await blocker.wait_closed()


async def eventually_status(url: str, status: int, seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if (await get(url))[0] == status:
                return
            await asyncio.sleep(0.1)


async def test_a_redis_that_stops_answering_gets_a_clear_reply_and_the_bot_recovers(
    settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator, redis_url: str
) -> None:
    target = urlsplit(redis_url)
    assert target.hostname is not None and target.port is not None
    async with TcpProxy(target.hostname, target.port) as proxy:
        through_proxy = changed(
            settings, storage=StorageConfig("redis", url=f"redis://127.0.0.1:{proxy.port}{target.path}")
        )
        ai.answers = ["before", "after"]
        async with serving(through_proxy) as app:
            await tg.post_update_to(local_url(settings), tg.message_update("/ask one"), SECRET)
            await tg.wait_for("sendMessage")
            assert await app.inflight.drain(5)

            proxy.blackhole()  # accepts, reads, never answers: every client's timeouts must fire
            status, _ = await get(local_url(settings, "/healthz"))
            assert status == 503
            await tg.post_update_to(local_url(settings), tg.message_update("/ask lost"), SECRET)
            [_, unavailable] = await tg.wait_for("sendMessage", count=2, timeout=60)
            assert unavailable.params["text"] == texts.store_unavailable()
            assert await app.inflight.drain(10)

            proxy.restore()
            await eventually_status(local_url(settings, "/healthz"), 200)
            await tg.post_update_to(local_url(settings), tg.message_update("/ask two"), SECRET)
            [*_, answer] = await tg.wait_for("sendMessage", count=3, timeout=30)
            assert visible(answer.params["text"]) == "after"
            assert await app.inflight.drain(5)
            stored = [t.content for t in await app.store.get(ConversationKey(USER))]

    assert stored == ["one", "before", "two", "after"]
    assert ai.chat_prompts == ["one", "User: one\nAssistant: before\nUser: two\nAssistant:"]
