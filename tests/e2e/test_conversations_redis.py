"""Conversation settings and token counts live in Redis: two replicas see the same persona, model,
history at once, and token counts once written (within a second)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot import texts
from bot.app import create_app
from bot.config import Settings, StorageConfig
from tests.emulators import TelegramEmulator
from tests.emulators.openai import OpenAIEmulator, token_count

from .conftest import RunBot, visible
from .test_conversations import buttons, on_openai, press, replies

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def token(bot_id: int) -> str:
    return f"{bot_id}:TEST-token"


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


async def test_two_replicas_share_persona_model_history_and_usage(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator, redis_url: str
) -> None:
    shared = on_openai(settings, oa, storage=StorageConfig("redis", url=redis_url), openai_models=("m1", "m2"))
    async with create_app(shared) as second, run_bot(shared) as first:
        tg.push_message("/persona Shared persona.")
        await replies(tg, 1)
        tg.push_message("/model")
        [_, menu] = await replies(tg, 2)
        query = press(tg, menu, buttons(menu)[1]["callback_data"])
        await tg.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
        tg.push_message("/ask one")
        await replies(tg, 3)
        # The second replica gets the next updates (as behind a load balancer); the first one polls on.
        await second.dispatcher.feed_raw_update(second.bot, {**tg.message_update("/ask two"), "update_id": 900})
        await replies(tg, 4)
        await first.dispatcher["usage"].flush()  # written behind: other replicas see a count within a second
        await second.dispatcher.feed_raw_update(second.bot, {**tg.message_update("/usage"), "update_id": 901})
        calls = await replies(tg, 5)

    first, then = oa.chat_messages
    assert [r.json["model"] for r in oa.requests] == ["m2", "m2"]
    assert then == [{"role": "system", "content": "Shared persona."}, *first[1:],
                    {"role": "assistant", "content": "Echo: one"}, {"role": "user", "content": "two"}]
    total = token_count(first, "Echo: one")["total_tokens"] + token_count(then, "Echo: two")["total_tokens"]
    assert visible(calls[-1]) == visible(texts.usage(total, None, datetime.now(UTC)))  # no limit: no time
