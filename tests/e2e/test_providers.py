"""The provider chain end to end: failover from ai-chats.org to an OpenAI-compatible server, the circuit
breaker, system prompts, images through b64_json, and /model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Application
from bot.config import Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.openai import OpenAIEmulator
from tests.helpers import png_bytes
from tests.settings import changed

from .conftest import RunBot, not_preview, visible

KEY = "sk-test-0123456789abcdef"
GROUP = -1001234


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


def chained(settings: Settings, oa: OpenAIEmulator, names: tuple[str, ...], **extra: object) -> Settings:
    return changed(settings, provider_names=names, openai_base_url=oa.base_url, openai_api_key=KEY,
                   openai_model="m1", openai_image_model="img-1", **extra)


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
    assert "1. 127.0.0.1 (ai-chats.org) — gpt-4: skipped for" in chain and "after 3 failures" in chain
    assert "    draws with dalle: healthy" in chain  # chat failed, not drawing: its breaker is its own
    second = f"2. {oa.base_url.split('/')[2]} (OpenAI-compatible) — m1: healthy ✅\n    draws with img-1: healthy"
    assert second in chain


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
    assert "refused the API key (HTTP 401): Incorrect API key provided: sk-****" in text and KEY not in text
    assert text.endswith("Try again later.")  # one of them (the 500) may well answer later
    assert ai.chat_prompts == ["hi", "again"]  # nothing of the failed turn was stored


async def test_model_command_lists_the_default_chain(app: Application, tg: TelegramEmulator) -> None:
    tg.push_message("/model")
    [reply] = await tg.wait_for("sendMessage")

    assert visible(reply) == (
        "Model providers, in the order they are tried:\n1. 127.0.0.1 (ai-chats.org) — gpt-4: healthy ✅\n"
        "    draws with dalle: healthy ✅"
    )


@pytest.fixture
async def litellm() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY, flavour="litellm") as emulator:
        yield emulator


async def test_a_too_long_conversation_suggests_reset(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, litellm: OpenAIEmulator
) -> None:
    litellm.fail_next("context_window")
    async with run_bot(chained(settings, litellm, ("openai",))):
        tg.push_message("/ask a very long story")
        [reply] = await tg.wait_for("sendMessage")

    text = visible(reply)
    assert text.startswith(f"The model did not answer: 127.0.0.1:{litellm.port} returned HTTP 400: litellm.Context")
    assert text.endswith("The conversation is too long for it: send /reset to start a new one.")


async def test_refused_drawings_leave_chat_alone_and_say_why(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, litellm: OpenAIEmulator
) -> None:
    """LiteLLM without the image model: 400 "Invalid model name" thrice, and /ask still goes to the server."""
    litellm.fail_next("invalid_model", times=3)
    async with run_bot(chained(settings, litellm, ("openai",), admins=frozenset({1001}))):
        for n in range(3):
            tg.push_message(f"/draw fox {n}")
            await tg.wait_for("sendMessage", count=n + 1)
        tg.push_message("/ask still there?")
        await tg.wait_for("sendMessage", count=4)
        tg.push_message("/stats")
        calls = await tg.wait_for("sendMessage", count=5)

    refusal = visible(calls[0])
    assert "Invalid model name passed in model=img-1" in refusal and "Try again later" not in refusal
    assert refusal.endswith("try another description, or tell the bot's owner if this goes on.")
    assert visible(calls[3]) == "Echo: still there?"
    assert litellm.hits["/v1/chat/completions"] == 1 and litellm.hits["/v1/images/generations"] == 3
    assert f"127.0.0.1:{litellm.port}: 4 requests, 3 errors (images: 3 requests, 3 errors)\n" in visible(calls[4])


async def test_a_stream_failing_midway_replaces_the_preview_with_the_error(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, litellm: OpenAIEmulator
) -> None:
    """HTTP 200, some text, then an error event and no [DONE]: the preview goes, the error is said, nothing
    of the turn is stored."""
    litellm.answers = ["partial text that never finishes " * 4, "ok"]
    litellm.chunk_delay = 0.02  # half of it streams for ~0.4 s: long enough for a preview
    litellm.fail_next("error_mid_stream")
    async with run_bot(chained(settings, litellm, ("openai",))):
        tg.push_message("/ask fail", chat_type="supergroup", chat_id=GROUP)
        [delete] = await tg.wait_for("deleteMessage")
        calls = await tg.wait_for("sendMessage", count=2)
        tg.push_message("/ask again", chat_type="supergroup", chat_id=GROUP)
        await tg.wait_for("sendMessage", count=3)

    assert delete.params["message_id"] == calls[0].result["message_id"]
    error = visible(calls[1])
    assert error.startswith(f"The model did not answer: 127.0.0.1:{litellm.port} reported an error: litellm.API")
    assert error.endswith("Try again later.")
    assert next(m.get("text", "") for m in tg.messages(GROUP) if m["from"]["is_bot"]) == error
    assert litellm.chat_messages[-1] == [{"role": "user", "content": "again"}]  # the failed turn was not stored
