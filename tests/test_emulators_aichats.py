"""The ai-chats.org emulator speaks SSE/JSON like the site and fails in each documented way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.emulators import AiChatsEmulator


def body(prompt: str, kind: str = "chat") -> dict[str, Any]:
    return {"type": kind, "messagesHistory": [{"from": "you", "content": prompt}]}


def sse_events(raw: str) -> list[str]:
    """Spec-conforming SSE decoding: events split on blank lines, data lines joined with \\n."""
    events = []
    for block in raw.split("\n\n"):
        lines = [line[len("data: ") :] if line.startswith("data: ") else line[5:] for line in block.split("\n")]
        if block:
            events.append("\n".join(lines))
    return events


@pytest.fixture
async def ai() -> AsyncIterator[AiChatsEmulator]:
    async with AiChatsEmulator() as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        yield session


async def chat(http: aiohttp.ClientSession, ai: AiChatsEmulator, prompt: str) -> tuple[int, str, str]:
    async with http.post(f"{ai.base_url}/chat/send2/", json=body(prompt)) as resp:
        return resp.status, resp.content_type, await resp.text()


async def test_chat_streams_the_answer_in_chunks(ai: AiChatsEmulator, http: aiohttp.ClientSession) -> None:
    status, ctype, raw = await chat(http, ai, "first line\nsecond line")
    assert (status, ctype) == (200, "text/event-stream")
    events = sse_events(raw)
    assert events[-1] == "[DONE]" and all(len(e) <= 8 for e in events)
    assert "".join(events[:-1]) == "Echo: second line"
    assert ai.chat_prompts == ["first line\nsecond line"]
    request = ai.requests[0]
    assert request.json == body("first line\nsecond line") and request.headers["Content-Type"] == "application/json"
    assert ai.hits["/chat/send2/"] == 1


async def test_answers_queue_multiline_events_and_flattened_history(
    ai: AiChatsEmulator, http: aiohttp.ClientSession
) -> None:
    ai.answers = ["line one\nline two\n\nend"]
    ai.chunk_size = 12
    _, _, raw = await chat(http, ai, "anything")
    assert "data: line one\ndata: lin\n\n" in raw  # a newline inside a piece -> two data lines
    assert "".join(sse_events(raw)[:-1]) == "line one\nline two\n\nend"
    _, _, raw = await chat(http, ai, "System: be nice\nUser: hi\nAssistant: hello\nUser: how are you?\nAssistant:")
    assert "".join(sse_events(raw)[:-1]) == "Echo: how are you?"
    ai.responder = str.upper
    _, _, raw = await chat(http, ai, "shout")
    assert "".join(sse_events(raw)[:-1]) == "SHOUT"


async def test_chunk_delay_paces_the_stream(ai: AiChatsEmulator, http: aiohttp.ClientSession) -> None:
    ai.answers, ai.chunk_size, ai.chunk_delay = ["abcd"], 1, 0.05
    started = time.monotonic()
    _, _, raw = await chat(http, ai, "x")
    assert time.monotonic() - started >= 0.15 and sse_events(raw) == ["a", "b", "c", "d", "[DONE]"]


async def test_chat_failure_modes(ai: AiChatsEmulator, http: aiohttp.ClientSession) -> None:
    ai.status = 503
    ai.fail_next("http_500")
    assert (await chat(http, ai, "x"))[0] == 503
    ai.fail_next("non_json")
    assert (await chat(http, ai, "x"))[1] == "text/html"
    ai.fail_next("empty")
    assert sse_events((await chat(http, ai, "x"))[2]) == ["[DONE]"]
    ai.fail_next("truncated")
    with pytest.raises(aiohttp.ClientPayloadError):
        await chat(http, ai, "a long enough prompt to have many pieces")
    ai.fail_next("reset", times=2)
    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await chat(http, ai, "x")
    assert (await chat(http, ai, "x"))[0] == 200  # back to ai.mode == "ok"
    async with http.post(f"{ai.base_url}/chat/send2/", json={"type": "chat", "messages": []}) as resp:
        assert resp.status == 400  # a payload the site would not understand


async def test_slow_endless_stream_stops_when_the_client_leaves(ai: AiChatsEmulator) -> None:
    ai.mode, ai.endless_interval = "slow_endless", 0.05
    async with aiohttp.ClientSession() as http, http.post(f"{ai.base_url}/chat/send2/", json=body("x")) as resp:
        first = await resp.content.readuntil(b"\n\n")
        second = await resp.content.readuntil(b"\n\n")
    assert first.startswith(b"data: ") and second.startswith(b"data: ")
    ai.endless_interval = 0.001
    async with aiohttp.ClientSession() as http, http.post(f"{ai.base_url}/chat/send2/", json=body("x")) as resp:
        events = [await resp.content.readuntil(b"\n\n") for _ in range(50)]  # far more than the answer has
    assert all(event.startswith(b"data: ") for event in events) and b"[DONE]" not in b"".join(events)


async def test_image_flow_and_its_failures(ai: AiChatsEmulator, http: aiohttp.ClientSession) -> None:
    async def draw() -> dict[str, Any]:
        async with http.post(f"{ai.base_url}/chat/send2/", json=body("a cat", "image")) as resp:
            assert resp.status == 200
            result: dict[str, Any] = await resp.json()
            return result

    url = (await draw())["data"][0]["url"]
    assert url.startswith(ai.base_url + "/images/") and url.endswith(".png")
    async with http.get(url) as resp:
        assert resp.content_type == "image/png" and await resp.read() == ai.image_bytes
    ai.fail_next("image_404")
    async with http.get((await draw())["data"][0]["url"]) as resp:
        assert resp.status == 404
    ai.fail_next("image_not_image")
    async with http.get((await draw())["data"][0]["url"]) as resp:
        assert await resp.read() == b"hello"
    ai.fail_next("no_data")
    assert await draw() == {"data": []}
    ai.image_url = "file:///etc/passwd"
    assert (await draw())["data"][0]["url"] == "file:///etc/passwd"
    ai.fail_next("non_json")
    async with http.post(f"{ai.base_url}/chat/send2/", json=body("a cat", "image")) as resp:
        assert resp.content_type == "text/html"
    assert ai.image_prompts == ["a cat"] * 6 and ai.chat_prompts == []
    assert ai.hits["/chat/send2/"] == 6 and sum(n for p, n in ai.hits.items() if p.startswith("/images/")) == 3
