"""Two `python -m bot` processes in webhook mode sharing one Redis, as behind a load balancer.

The emulated Telegram posts one conversation's updates to both replicas in turn; the history the model sees
at every turn must be complete and in order, and an update posted to both must be answered once.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot import texts
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.tg_models import ApiCall
from tests.helpers import free_port, python_env
from tests.tcp_proxy import TcpProxy

from .conftest import visible

PUBLIC_URL = "https://bot.example.test"
SECRET = "replica-shared_secret"


@dataclass
class Replica:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    @property
    def healthz(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def token(bot_id: int) -> str:
    return f"{bot_id}:TEST-token"


@asynccontextmanager
async def replica(name: str, tmp_path: Path, env: dict[str, str]) -> AsyncIterator[Replica]:
    port = free_port()
    workdir = tmp_path / name
    workdir.mkdir()
    log = workdir / "output.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=workdir, stdout=sink, stderr=asyncio.subprocess.STDOUT,
            env=python_env(**env, WEB_SERVER_PORT=str(port)),
        )
    try:
        yield Replica(process, port, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def wait_healthy(replica: Replica, seconds: float = 20) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(seconds):
        while True:
            assert replica.process.returncode is None, replica.output()
            try:
                async with session.get(replica.healthz) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)


def answer(call: ApiCall) -> bool:
    """A model's answer, not the notice that a turn waits for the one before it (sent when the wait is long)."""
    return visible(call) != visible(texts.queued())


async def logged(replicas: list[Replica], line: str, seconds: float = 10) -> None:
    """Wait (bounded) until one replica's output has ``line``."""
    async with asyncio.timeout(seconds):
        while True:
            if any(line in r.output() for r in replicas):
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def replicas(
    tmp_path: Path, token: str, tg: TelegramEmulator, ai: AiChatsEmulator, redis_url: str
) -> AsyncIterator[list[Replica]]:
    env = {
        "BOT_TOKEN": token, "TELEGRAM_API_URL": tg.base_url, "AICHATS_URL": ai.base_url, "STORAGE_URL": redis_url,
        "WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "INFO",
    }
    async with AsyncExitStack() as stack:
        started = [await stack.enter_async_context(replica(name, tmp_path, env)) for name in ("a", "b")]
        await asyncio.gather(*(wait_healthy(r) for r in started))
        yield started
        for r in started:
            assert SECRET not in r.output() and token.split(":")[1] not in r.output()


async def test_two_replicas_serve_one_conversation_in_order_and_each_update_once(
    replicas: list[Replica], tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    assert len(tg.calls_of("setWebhook")) == 2  # each replica registers the same URL and secret
    assert tg.webhook["url"] == f"{PUBLIC_URL}/telegram/webhook" and tg.webhook["secret_token"] == SECRET
    refused = [await tg.post_update_to(r.webhook, tg.message_update("/ask Hi"), "not-the-secret") for r in replicas]
    assert refused == [401, 401]

    # One conversation's updates, alternately to each replica, faster than they are answered: the turns
    # overlap unless the Redis lock serialises them.
    ai.chunk_size, ai.chunk_delay = 4, 0.01
    ai.responder = lambda prompt: "answer to " + prompt.rsplit("User: ", 1)[-1].removesuffix("\nAssistant:")
    targets = itertools.cycle(replicas)
    statuses = [await tg.post_update_to(next(targets).webhook, tg.message_update(f"/ask q{n}"), SECRET)
                for n in range(6)]
    await tg.wait_for("sendMessage", answer, count=6, timeout=15)

    assert statuses == [200] * 6
    prompts = list(ai.chat_prompts)
    assert len(prompts) == 6  # nothing from the refused requests
    # Each turn saw every earlier turn, complete and in the order they were answered.
    assert prompts[1].startswith(f"User: {prompts[0]}\nAssistant: answer to {prompts[0]}\nUser: ")
    for earlier, later in itertools.pairwise(prompts[1:]):
        assert later.startswith(earlier + " answer to ")
    asked = [line.removeprefix("User: ") for line in prompts[-1].splitlines()[::2]]
    assert sorted(asked) == [f"q{n}" for n in range(6)]

    # Telegram redelivering an update, and the copy landing on the other replica: one answer.
    update = tg.message_update("/ask only once")
    again = await asyncio.gather(*(tg.post_update_to(r.webhook, update, SECRET) for r in replicas))
    await tg.wait_for("sendMessage", answer, count=7)
    await logged(replicas, f"Update {update['update_id']} was already taken; skipped")  # the copy was dropped

    assert again == [200, 200]
    assert len([call for call in tg.calls_of("sendMessage") if answer(call)]) == 7
    assert len(ai.chat_prompts) == 7 and ai.chat_prompts[-1].startswith(prompts[-1] + " answer to ")
    answered = [visible(call) for call in tg.calls_of("sendMessage") if answer(call)]
    assert sorted(answered) == sorted([f"answer to q{n}" for n in range(6)] + ["answer to only once"])
    assert all(visible(c) == texts.queued() for c in tg.calls_of("sendMessage") if not answer(c))


async def test_sigterm_lets_a_replica_finish_its_answer_while_the_other_serves_on(
    replicas: list[Replica], tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.chunk_size, ai.chunk_delay = 3, 0.05
    ai.answers = ["an answer that takes a while to stream", "fine"]
    first, second = replicas
    await tg.post_update_to(first.webhook, tg.message_update("/ask Hi"), SECRET)
    await tg.wait_for("sendChatAction", timeout=10)
    first.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(first.process.wait(), 20)

    [reply] = tg.calls_of("sendMessage")
    assert visible(reply) == "an answer that takes a while to stream"
    assert code == 0, first.output()
    assert "Traceback" not in first.output()
    assert not tg.calls_of("deleteWebhook")
    await tg.post_update_to(second.webhook, tg.message_update("/ask Again"), SECRET)
    await tg.wait_for("sendMessage", count=2)
    assert ai.chat_prompts[-1].startswith("User: Hi\nAssistant: an answer that takes a while to stream\n")


async def test_cancel_on_one_replica_stops_the_answer_or_drawing_on_the_other(
    replicas: list[Replica], tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    writer, other = replicas
    await tg.post_update_to(other.webhook, tg.message_update("/cancel"), SECRET)
    [nothing] = await tg.wait_for("sendMessage", timeout=10)
    assert nothing.params["text"] == texts.nothing_to_cancel()

    # An answer being written on one replica, /cancel on the other: the writer stops and says so.
    ai.chunk_size, ai.chunk_delay = 1, 0.2
    ai.answers = ["a long answer that will never be finished", "fresh"]
    await tg.post_update_to(writer.webhook, tg.message_update("/ask slow"), SECRET)
    await tg.wait_for("sendMessageDraft", timeout=10)
    await tg.post_update_to(other.webhook, tg.message_update("/cancel"), SECRET)
    [_, stopped] = await tg.wait_for("sendMessage", count=2, timeout=10)
    assert stopped.params["text"] == texts.cancelled()
    ai.chunk_delay = 0
    await tg.post_update_to(other.webhook, tg.message_update("/ask again"), SECRET)
    calls = await tg.wait_for("sendMessage", count=3, timeout=10)
    assert visible(calls[2].params["text"]) == "fresh"
    assert ai.chat_prompts == ["slow", "again"]  # the stopped turn was not stored

    # A drawing hanging on its image download on one replica, /cancel on the other.
    async with TcpProxy("127.0.0.1", 9) as blackhole:
        blackhole.blackhole()
        ai.image_url = f"http://127.0.0.1:{blackhole.port}/image.png"
        await tg.post_update_to(writer.webhook, tg.message_update("/draw a fox"), SECRET)
        await asyncio.wait_for(blackhole.accepted.wait(), 10)  # the provider is downloading the picture
        await tg.post_update_to(other.webhook, tg.message_update("/cancel"), SECRET)
        [*_, stopped_drawing] = await tg.wait_for("sendMessage", count=4, timeout=10)
        await asyncio.wait_for(blackhole.abandoned.wait(), 10)  # the download was abandoned, not left to time out
    assert stopped_drawing.params["text"] == texts.cancelled()
    assert not tg.calls_of("sendPhoto") and not tg.calls_of("sendDocument")
    assert len(tg.calls_of("sendMessage")) == 4
