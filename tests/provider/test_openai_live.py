"""OpenAICompatible over real sockets: reads split anywhere, the OpenAI emulator, and a chain with ai-chats."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from provider import (
    AiChats,
    FallbackProvider,
    OpenAICompatible,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderRateLimitError,
)
from tests.emulators import AiChatsEmulator
from tests.emulators.openai import OpenAIEmulator, mask

KEY = "sk-emulated-0123456789-SECRET"
HI = [{"role": "user", "content": "Hi"}]
Serve = Callable[[dict[tuple[str, str], Any]], Awaitable[str]]


def delta(text: str) -> bytes:
    return json.dumps({"choices": [{"delta": {"content": text}}]}, ensure_ascii=False).encode()


async def test_chunks_split_across_reads_anywhere(serve: Serve) -> None:
    """Events cut inside ``data:``, inside the JSON, inside a UTF-8 character and between CR and LF;
    the server sends the rest only once the client has yielded the first chunk."""
    first_seen = asyncio.Event()
    waited: list[bool] = []
    second = delta("Привет")
    cut = second.index("Привет".encode()) + 3  # the middle of "р" (two bytes)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        first = b"data: " + delta("Hel")
        for piece in (b"da", first[2:9], first[9:], b"\n", b"\n"):
            await response.write(piece)
            await asyncio.sleep(0.005)
        try:
            await asyncio.wait_for(first_seen.wait(), 2)
            waited.append(True)
        except TimeoutError:
            waited.append(False)
        for piece in (b"data: " + second[:cut], second[cut:] + b"\r", b"\n\r\n", b"data: [DO", b"NE]\n\n"):
            await response.write(piece)
            await asyncio.sleep(0.005)
        return response

    base = await serve({("POST", "/v1/chat/completions"): handler})
    provider = OpenAICompatible.configure(f"{base}/v1", model="m")
    chunks = []
    async for chunk in provider.create_async_generator("m", HI):
        chunks.append(chunk)
        first_seen.set()
    assert chunks == ["Hel", "Привет"] and waited == [True]


@pytest.fixture
async def emulator() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY, chunk_size=3) as oa:
        yield oa


def configured(oa: OpenAIEmulator, key: str | None = KEY, **kwargs: Any) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(oa.base_url, api_key=key, **kwargs)


async def test_chat_through_the_emulator(emulator: OpenAIEmulator) -> None:
    provider = configured(emulator)
    messages = [{"role": "system", "content": "Be brief."}, *HI]
    chunks = [c async for c in provider.create_async_generator(provider.default_model, messages)]
    texts = [c for c in chunks if isinstance(c, str)]
    assert "".join(texts) == "Echo: Hi" and len(texts) == 3  # chunk_size=3, real SSE over a socket
    [request] = emulator.requests
    assert emulator.chat_messages == [messages] and request.json["model"] == "gpt-4o-mini"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert emulator.base_url.endswith("/v1") and provider.label == f"127.0.0.1:{emulator.port}"


async def test_wrong_key_and_rate_limit(emulator: OpenAIEmulator) -> None:
    wrong = "sk-wrong-key-987654321"
    with pytest.raises(ProviderAuthError) as auth:
        await configured(emulator, key=wrong).create_async("gpt-4o-mini", HI)
    assert auth.value.reason == (
        f"127.0.0.1:{emulator.port} refused the API key (HTTP 401): Incorrect API key provided: sk-***************4321."
    )
    assert f"Incorrect API key provided: {mask(wrong)}." in str(auth.value) and wrong not in str(auth.value)
    emulator.fail_next(429)
    with pytest.raises(ProviderRateLimitError) as limited:
        await configured(emulator).create_async("gpt-4o-mini", HI)
    assert limited.value.retry_after == 1.0
    emulator.answers.append("after the limit")
    assert await configured(emulator).create_async("gpt-4o-mini", HI) == "after the limit"


async def test_cut_mid_stream_after_output(emulator: OpenAIEmulator) -> None:
    emulator.fail_next("truncated")
    emulator.answers.append("a long answer that will be cut")
    items: list[str] = []
    with pytest.raises(ProviderError) as info:
        async for item in configured(emulator).create_async_generator("gpt-4o-mini", HI):
            items.append(item)
    assert items and isinstance(info.value, ProviderConnectionError)


@pytest.mark.parametrize("mode", ["b64_json", "url"])
async def test_images_arrive_as_the_exact_bytes(emulator: OpenAIEmulator, mode: str) -> None:
    emulator.image_mode = mode  # type: ignore[assignment]
    uri = await configured(emulator).create_async("dall-e-3", [{"role": "user", "content": "a fox"}])
    assert base64.b64decode(uri.removeprefix("data:image/png;base64,")) == emulator.image_bytes
    assert emulator.image_prompts == ["a fox"]
    assert emulator.hits["/v1/images/generations"] == 1 and emulator.hits["/files/1.png"] == (mode == "url")


async def test_chain_falls_back_from_ai_chats_and_stops_calling_it(emulator: OpenAIEmulator) -> None:
    async with AiChatsEmulator() as ai:
        ai.mode = "http_500"
        chain = FallbackProvider([AiChats.with_base_url(ai.base_url), configured(emulator)], cooldown=60)
        for _ in range(5):
            assert await chain.create_async(chain.default_model, HI) == "Echo: Hi"
        assert ai.hits["/chat/send2/"] == 3 and emulator.hits["/v1/chat/completions"] == 5
        ai_status, oa_status = chain.status()
        assert (ai_status.state, ai_status.requests, ai_status.errors) == ("open", 3, 3)
        assert ai_status.last_error == "127.0.0.1 returned HTTP 500"
        assert (oa_status.healthy, oa_status.requests, oa_status.errors) == (True, 5, 0)
        # Images have a breaker of their own: ai-chats.org is asked to draw (and fails over) ...
        uri = await chain.create_async(chain.image_model, [{"role": "user", "content": "a fox"}])
        assert base64.b64decode(uri.split(",", 1)[1]) == emulator.image_bytes
        assert ai.hits["/chat/send2/"] == 4 and ai.image_prompts == ["a fox"]
        ai_status = chain.status()[0]
        assert ai_status.images is not None and (ai_status.images.requests, ai_status.images.failures) == (1, 1)
        assert ai_status.kind == "ai-chats.org" and chain.status()[1].kind == "OpenAI-compatible"


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        (500, ProviderError, "returned HTTP 500"),
        ("error_in_stream", ProviderError, "reported an error"),
        ("non_json", ProviderError, "returned a web page instead of an answer"),
        ("empty", ProviderError, "returned an empty answer"),
        ("reset", ProviderConnectionError, "the connection to 127.0.0.1:"),
    ],
)
async def test_emulated_failures(emulator: OpenAIEmulator, fault: Any, error: type[Exception], reason: str) -> None:
    emulator.fail_next(fault)
    with pytest.raises(error) as info:
        await configured(emulator).create_async("gpt-4o-mini", HI)
    assert reason in str(info.value) and KEY not in str(info.value)
    assert await configured(emulator).create_async("gpt-4o-mini", HI) == "Echo: Hi"  # the fault was one-off
