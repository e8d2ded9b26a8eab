"""The provider chain end to end: failover from ai-chats.org to an OpenAI-compatible server, the circuit
breaker, system prompts, images through b64_json, and /model."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from bot.app import Application
from bot.config import ProviderSettings, Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator, png_bytes
from tests.emulators.openai import OpenAIEmulator

from .conftest import RunBot, not_preview, visible

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


def chained(settings: Settings, oa: OpenAIEmulator, names: tuple[str, ...], **extra: object) -> Settings:
    providers = ProviderSettings(names=names, openai_base_url=oa.base_url, openai_api_key=KEY, openai_model="m1",
                                 openai_image_model="img-1", **extra)  # type: ignore[arg-type]
    return dataclasses.replace(settings, providers=providers)


async def test_failover_to_openai_then_breaker_skips_aichats(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator, oa: OpenAIEmulator
) -> None:
    ai.mode = "http_500"
    oa.responder = lambda messages: f"openai says {messages[-1]['content']}"
    async with run_bot(chained(settings, oa, ("aichats", "openai"))):
        for n in range(5):
            tg.push_message(f"/ask q{n}")
            await tg.wait_for("sendMessage", not_preview, count=n + 1)
        tg.push_message("/model")
        status = await tg.wait_for("sendMessage", count=6)

    answers = [visible(c) for c in status[:5]]
    assert answers == [f"openai says q{n}" for n in range(5)]
    # Three failures open the breaker: the next two questions cost ai-chats.org no request at all.
    assert ai.hits["/chat/send2/"] == 3
    assert oa.hits["/v1/chat/completions"] == 5
    # The history OpenAI sees is complete, roles kept.
    assert oa.chat_messages[1] == [
        {"role": "user", "content": "q0"}, {"role": "assistant", "content": "openai says q0"},
        {"role": "user", "content": "q1"},
    ]
    chain = visible(status[5])
    assert "1. 127.0.0.1 — gpt-4, draws with dalle: skipped for" in chain and "after 3 failures" in chain
    assert f"2. {oa.base_url.split('/')[2]} — m1, draws with img-1: healthy" in chain


async def test_system_prompt_is_sent_as_a_system_message(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(chained(settings, oa, ("openai",), system_prompt="Be terse.")):
        tg.push_message("/ask hi")
        await tg.wait_for("sendMessage")

    assert oa.chat_messages == [[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]]


async def test_draw_through_b64_json_arrives_as_the_exact_bytes(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator, oa: OpenAIEmulator
) -> None:
    oa.image_bytes = png_bytes(300, 200, color=(10, 120, 200))
    async with run_bot(chained(settings, oa, ("openai", "aichats"))):
        tg.push_message("/draw a blue square")
        [photo] = await tg.wait_for("sendPhoto")

    assert photo.files["photo"].data == oa.image_bytes
    assert oa.image_prompts == ["a blue square"] and ai.hits == {}


async def test_when_every_provider_fails_the_reply_names_each_cause(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator, oa: OpenAIEmulator
) -> None:
    ai.mode = "http_500"
    oa.api_key = "sk-another-key"  # ours is refused
    async with run_bot(chained(settings, oa, ("aichats", "openai"))):
        tg.push_message("/ask hi")
        [reply] = await tg.wait_for("sendMessage")
        tg.push_message("/ask again")
        await tg.wait_for("sendMessage", count=2)

    text = visible(reply)
    assert text.startswith("The model did not answer: 127.0.0.1 returned HTTP 500; ")
    assert "refused the API key (HTTP 401)" in text and KEY not in text
    assert ai.chat_prompts == ["hi", "again"]  # nothing of the failed turn was stored


async def test_model_command_lists_the_default_chain(app: Application, tg: TelegramEmulator) -> None:
    tg.push_message("/model")
    [reply] = await tg.wait_for("sendMessage")

    assert visible(reply) == (
        "Model providers, in the order they are tried:\n1. 127.0.0.1 — gpt-4, draws with dalle: healthy ✅"
    )
