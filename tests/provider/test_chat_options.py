"""Per-request chat model (`chat_model=`) and token usage (`Usage`) of the OpenAI-compatible provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provider import AiChats, FallbackProvider, OpenAICompatible, Usage
from tests.emulators.aichats import AiChatsEmulator
from tests.emulators.openai import OpenAIEmulator, token_count

HI = [{"role": "user", "content": "Hi there"}]


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator() as emulator:
        yield emulator


def aimed(oa: OpenAIEmulator) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(oa.base_url, model="m1", chat_models=["m1", "m2"], image_model="img")


async def test_chat_model_picks_one_of_the_configured_models(oa: OpenAIEmulator) -> None:
    provider = aimed(oa)
    await provider.create_async("m1", HI, chat_model="m2")
    await provider.create_async("m1", HI, chat_model="not-configured")
    await provider.create_async("m1", HI, chat_model="img")  # the image model never becomes a chat model
    await provider.create_async("m1", HI)

    assert [r.json["model"] for r in oa.requests] == ["m2", "m1", "m1", "m1"]
    assert provider.models == ["m1", "m2", "img"]


async def test_a_chain_passes_the_pick_to_its_openai_member_and_aichats_ignores_it(oa: OpenAIEmulator) -> None:
    async with AiChatsEmulator() as ai:
        ai.mode = "http_500"
        chain = FallbackProvider([AiChats.with_base_url(ai.base_url), aimed(oa)])
        text = await chain.create_async(chain.default_model, HI, chat_model="m2")

    assert text == "Echo: Hi there"
    assert [r.json["model"] for r in oa.requests] == ["m2"]


async def test_usage_arrives_last_and_only_when_the_server_sends_it(oa: OpenAIEmulator) -> None:
    provider = aimed(oa)
    items = [item async for item in provider.create_async_generator("m1", HI)]
    oa.send_usage = False
    without = [item async for item in provider.create_async_generator("m1", HI)]

    assert "".join(i for i in items if isinstance(i, str)) == "Echo: Hi there"
    assert items[-1] == Usage(**token_count(HI, "Echo: Hi there"))
    assert oa.requests[0].json["stream_options"] == {"include_usage": True}
    assert not any(isinstance(i, Usage) for i in without)
    assert await provider.create_async("m1", HI) == "Echo: Hi there"  # the text alone, usage left out


def test_usage_from_json_and_estimate() -> None:
    assert Usage.from_json({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}) == Usage(3, 2, 5)
    assert Usage.from_json({"prompt_tokens": 3, "completion_tokens": 2}) == Usage(3, 2, 5)
    assert Usage.from_json({}) is None and Usage.from_json(None) is None
    assert Usage.estimate(9, 4) == Usage(3, 1, 4)
