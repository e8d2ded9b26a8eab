"""`python -m bot` as a real process: start-up retries, SIGTERM draining, no token in the logs."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import aiohttp
import pytest

from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.helpers import free_port, python_env

from .conftest import TOKEN, visible


@asynccontextmanager
async def bot_process(tmp_path: Path, **env: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot",
        cwd=tmp_path,
        env=python_env(BOT_TOKEN=TOKEN, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(process: asyncio.subprocess.Process, needle: str, seconds: float = 15) -> str:
    assert process.stdout is not None
    seen = ""
    async with asyncio.timeout(seconds):
        while needle not in seen:
            line = await process.stdout.readline()
            if not line:
                break
            seen += line.decode()
    assert needle in seen, seen
    return seen


def count_turns(db: Path) -> int:
    if not db.exists():
        return 0
    with closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM turns").fetchone()[0])


async def committed_turns(db: Path, count: int) -> None:
    """Wait (bounded) until another process has committed `count` turns: the answer is sent first."""
    for _ in range(100):
        if count_turns(db) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} turns were never committed to {db}")


async def test_unreachable_telegram_is_retried_with_one_line_each(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on `port` now

    async with bot_process(tmp_path, TELEGRAM_API_URL=f"http://127.0.0.1:{port}", STORAGE_URL="memory://") as proc:
        output = await read_until(proc, "retrying in 2 s")

    retries = [line for line in output.splitlines() if "Telegram Bot API unreachable" in line]
    assert len(retries) == 2 and "retrying in 1 s" in retries[0]
    assert "Traceback" not in output and TOKEN not in output


async def test_sigterm_waits_for_the_answer_in_flight(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TOKEN, bot_username="TestAiBot", bot_id=123456) as tg, \
            AiChatsEmulator(chunk_size=3, chunk_delay=0.1) as ai:
        ai.answers = ["an answer that takes a while to stream"]
        env = {"TELEGRAM_API_URL": tg.base_url, "AICHATS_URL": ai.base_url, "LOG_LEVEL": "DEBUG"}
        async with bot_process(tmp_path, **env) as proc:
            await tg.wait_for("setMyCommands", timeout=20)  # connected; polling starts next
            tg.push_message("/ask Hi")
            await tg.wait_for("sendChatAction", timeout=10)
            proc.send_signal(signal.SIGTERM)
            assert proc.stdout is not None
            output = (await asyncio.wait_for(proc.stdout.read(), 20)).decode()
            code = await proc.wait()

        [reply] = tg.calls_of("sendMessage")
        assert visible(reply) == "an answer that takes a while to stream"
        assert code == 0, output
        assert "Traceback" not in output
        assert TOKEN not in output and TOKEN.split(":")[1] not in output
        assert (tmp_path / "data" / "bot.sqlite3").exists()


async def test_sigkill_between_turns_keeps_the_history(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TOKEN, bot_username="TestAiBot", bot_id=123456) as tg, AiChatsEmulator() as ai:
        ai.answers = ["Hello, Bob.", "Bob."]
        env = {"TELEGRAM_API_URL": tg.base_url, "AICHATS_URL": ai.base_url, "STREAMING": "off"}
        async with bot_process(tmp_path, **env) as proc:
            await tg.wait_for("setMyCommands", timeout=20)
            tg.push_message("/ask I am Bob")
            await tg.wait_for("sendMessage", timeout=10)
            await committed_turns(tmp_path / "data" / "bot.sqlite3", 2)
            proc.kill()
            await proc.wait()
        async with bot_process(tmp_path, **env):
            await tg.wait_for("setMyCommands", count=4, timeout=20)  # 2 processes × (default menu + Russian)
            tg.push_message("/ask Who am I?")
            await tg.wait_for("sendMessage", count=2, timeout=10)

    assert ai.chat_prompts[1] == "User: I am Bob\nAssistant: Hello, Bob.\nUser: Who am I?\nAssistant:"


SHUTDOWN_TIMEOUT = 2.0
WEBHOOK_SECRET = "process-test_secret"


async def start_webhook_mode(env: dict[str, str]) -> str:
    """Webhook settings for `env`; returns the local URL to post updates to."""
    port = free_port()
    env.update(WEBHOOK_URL="https://bot.example.test", WEBHOOK_SECRET=WEBHOOK_SECRET, WEB_SERVER_PORT=str(port))
    return f"http://127.0.0.1:{port}"


async def wait_serving(base_url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(20):
        while True:
            assert proc.returncode is None
            try:
                async with session.get(base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigterm_stops_an_endless_answer_at_the_deadline_and_stores_nothing(tmp_path: Path, mode: str) -> None:
    async with TelegramEmulator(token=TOKEN, bot_username="TestAiBot", bot_id=123456) as tg, \
            AiChatsEmulator(chunk_size=1, chunk_delay=1.0) as ai:
        ai.answers = ["x" * 60]  # a 60 s answer
        env = {"TELEGRAM_API_URL": tg.base_url, "AICHATS_URL": ai.base_url, "SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT)}
        base_url = await start_webhook_mode(env) if mode == "webhook" else ""
        async with bot_process(tmp_path, **env) as proc:
            await tg.wait_for("setMyCommands", timeout=20)
            if mode == "webhook":
                await wait_serving(base_url, proc)
                await tg.post_update_to(base_url + "/telegram/webhook", tg.message_update("/ask Hi"), WEBHOOK_SECRET)
            else:
                tg.push_message("/ask Hi")
            await tg.wait_for("sendMessageDraft", timeout=10)  # the answer is being written
            loop = asyncio.get_running_loop()
            proc.send_signal(signal.SIGTERM)
            signalled = loop.time()
            assert proc.stdout is not None
            output = (await asyncio.wait_for(proc.stdout.read(), SHUTDOWN_TIMEOUT + 2)).decode()
            code = await proc.wait()
            took = loop.time() - signalled

        assert took < SHUTDOWN_TIMEOUT + 2, output
        assert code == 0, output
        assert "Traceback" not in output
        assert "stopping 1 unfinished answer(s)" in output
        assert not [call for call in tg.calls_of("sendMessage") if "xxxx" in call.params["text"]]
        db = tmp_path / "data" / "bot.sqlite3"
        assert db.exists() and count_turns(db) == 0  # the unfinished answer was not stored
