"""OpenAICompatible behind LiteLLM, the most common gateway, as it really answers (the emulator's flavour)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provider import (
    FallbackProvider,
    OpenAICompatible,
    ProviderContextLengthError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    Usage,
)
from tests.emulators.openai import OpenAIEmulator, token_count

KEY = "sk-litellm-0123456789-SECRET"
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
async def litellm() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY, flavour="litellm") as emulator:
        yield emulator


def aimed(emulator: OpenAIEmulator, key: str | None = KEY) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(emulator.base_url, api_key=key, model="gpt-4o-mini", image_model="dall-e-3")


async def test_role_and_first_text_arrive_together_in_3_character_chunks(litellm: OpenAIEmulator) -> None:
    litellm.answers.append("Here is the answer.")
    provider = aimed(litellm)
    chunks = [c async for c in provider.create_async_generator("gpt-4o-mini", HI)]
    assert chunks[:-1] == ["Her", "e i", "s t", "he ", "ans", "wer", "."]  # the first text is not dropped
    assert chunks[-1] == Usage(**token_count(HI, "Here is the answer."))  # asked for, and counted
    assert litellm.requests[-1].json["stream_options"] == {"include_usage": True}


async def test_wrong_key_shows_the_servers_message_not_the_key(litellm: OpenAIEmulator) -> None:
    wrong = "sk-wrong-key-987654321"
    with pytest.raises(ProviderHTTPError) as info:
        await aimed(litellm, key=wrong).create_async("gpt-4o-mini", HI)
    err = info.value
    assert err.status == 400 and not err.transient and type(err) is ProviderHTTPError
    assert err.reason.startswith(f"127.0.0.1:{litellm.port} returned HTTP 400: Authentication Error, No connected db.")
    assert "Received API Key = ***" in str(err) and wrong not in str(err) and wrong not in err.reason


async def test_empty_key_is_a_plain_text_500(litellm: OpenAIEmulator) -> None:
    with pytest.raises(ProviderHTTPError) as info:
        await aimed(litellm, key=None).create_async("gpt-4o-mini", HI)
    assert info.value.status == 500 and info.value.transient
    assert info.value.reason == f"127.0.0.1:{litellm.port} returned HTTP 500: Internal Server Error"


async def test_context_window_exceeded(litellm: OpenAIEmulator) -> None:
    litellm.fail_next("context_window")
    with pytest.raises(ProviderContextLengthError) as info:
        await aimed(litellm).create_async("gpt-4o-mini", HI)
    assert info.value.status == 400 and "ContextWindowExceededError" in info.value.reason


async def test_openai_context_length_code() -> None:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        emulator.fail_next("context_window")
        with pytest.raises(ProviderContextLengthError) as info:
            await aimed(emulator).create_async("gpt-4o-mini", HI)
    assert "maximum context length is 8192 tokens" in info.value.reason


async def test_renamed_retry_after_is_read(litellm: OpenAIEmulator) -> None:
    litellm.retry_after = "12"
    litellm.fail_next(429)
    with pytest.raises(ProviderRateLimitError) as info:
        await aimed(litellm).create_async("gpt-4o-mini", HI)
    assert info.value.retry_after == 12.0  # only llm_provider-retry-after was sent


async def test_a_stream_failing_midway_raises_after_the_text_so_far(litellm: OpenAIEmulator) -> None:
    litellm.answers.append("A long answer cut off")
    litellm.fail_next("error_mid_stream")
    items: list[str] = []
    with pytest.raises(ProviderResponseError) as info:
        async for item in aimed(litellm).create_async_generator("gpt-4o-mini", HI):
            items.append(item)
    assert "".join(items) and "A long answer cut off".startswith("".join(items))
    assert info.value.reason.startswith(f"127.0.0.1:{litellm.port} reported an error: litellm.APIConnectionError")


async def test_refused_drawings_do_not_switch_off_chat(litellm: OpenAIEmulator) -> None:
    """Three /draw answered 400 "Invalid model name" neither skip chat nor images."""
    chain = FallbackProvider([aimed(litellm)])
    for _ in range(3):
        litellm.fail_next("invalid_model")
        with pytest.raises(ProviderError) as info:
            await chain.create_async(chain.image_model, [{"role": "user", "content": "a fox"}])
        assert "Invalid model name passed in model=dall-e-3" in info.value.reason
    assert await chain.create_async(chain.default_model, HI) == "Echo: Hi"
    [status] = chain.status()
    assert (status.state, status.requests, status.errors) == ("closed", 1, 0)
    assert status.images is not None and (status.images.state, status.images.errors) == ("closed", 3)
    assert await chain.create_async(chain.image_model, [{"role": "user", "content": "a cat"}])
