"""AiChats against real aiohttp servers on 127.0.0.1: real sockets, real chunking, real timeouts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from provider import (
    AiChats,
    ImageResponse,
    ImageTooLargeError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
)
from tests.helpers import free_port

HI = [{"role": "user", "content": "Hi"}]
CHAT = ("POST", "/chat/send2/")
MB = 1024 * 1024
Serve = Callable[[dict[tuple[str, str], Any]], Awaitable[str]]


async def until_error(stream: Any) -> tuple[list[Any], ProviderError]:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in stream:
            items.append(item)
    return items, info.value


async def test_first_chunk_is_yielded_before_the_stream_ends(serve: Serve) -> None:
    """The server refuses to send the rest until the client has shown it yielded the first chunk."""
    first_seen = asyncio.Event()
    server_log: list[str] = []
    rest_sent = False

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal rest_sent
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(*pieces: bytes) -> None:
            for piece in pieces:
                await response.write(piece)
                await asyncio.sleep(0.01)

        await send(b": hi\n\nda", b"ta: Hel", b"lo\n", b"\n")  # one event over several network reads
        try:
            await asyncio.wait_for(first_seen.wait(), 2)
        except TimeoutError:
            server_log.append("the client had not yielded the first chunk")
        rest_sent = True
        await send(
            b"data: , \xd0\x9f\xd1",  # "Привет" cut inside a character
            b"\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r",  # CRLF cut between CR and LF
            b"\n\r\n",
            b"data: line one\r\ndata: line two \xf0\x9f",  # a multi-line event, an emoji cut in two
            b"\x98\x80\r\n\r\n",
            b"data: [DONE]\n\n",
        )
        with contextlib.suppress(ConnectionError):
            await send(b"data: after done\n\n")
        return response

    provider = AiChats.with_base_url(await serve({CHAT: handler}))
    chunks: list[str] = []
    async for chunk in provider.create_async_generator("gpt-4", HI):
        if not chunks:
            assert chunk == "Hello"
            assert not rest_sent
            first_seen.set()
        chunks.append(chunk)
    assert chunks == ["Hello", ", Привет", "line one\nline two 😀"]
    assert server_log == []


@pytest.mark.parametrize("own_session", [True, False])
async def test_headers_and_body_reach_the_server(
    serve: Serve,
    client_session: aiohttp.ClientSession,
    expected_chat_headers: dict[str, str],
    png_bytes: bytes,
    own_session: bool,
) -> None:
    seen: dict[str, Any] = {}

    async def chat(request: web.Request) -> web.Response:
        seen["chat"] = (request.headers.copy(), await request.read())
        return web.Response(body=b"data: Hi\n\ndata:  there\n\n", content_type="text/event-stream")

    async def image_api(request: web.Request) -> web.Response:
        seen["image_api"] = request.headers.copy()
        return web.json_response({"data": [{"url": f"{base}/files/fox.png?sig=abc"}]})

    async def image(request: web.Request) -> web.Response:
        seen["image"] = request.headers.copy()
        return web.Response(body=png_bytes, content_type="application/octet-stream")

    async def dispatch(request: web.Request) -> web.Response:
        return await (image_api if b'"type": "image"' in await request.read() else chat)(request)

    base = await serve({CHAT: dispatch, ("GET", "/files/fox.png"): image})
    provider = AiChats.with_base_url(base)
    options: dict[str, Any] = {"cookie": "sid=s3cr3t"} if own_session else {"session": client_session}
    assert await provider.create_async("gpt-4", HI, **options) == "Hi there"
    [item] = [item async for item in provider.create_async_generator("dalle", HI, **options)]
    assert isinstance(item, ImageResponse) and item.images[0].startswith("data:image/png;base64,")

    headers, body = seen["chat"]
    expected = {**expected_chat_headers, "origin": base, "referer": f"{base}/chat/"}
    assert {key: headers.get(key) for key in expected} == expected
    assert body == b'{"type": "chat", "messagesHistory": [{"from": "you", "content": "Hi"}]}'
    assert headers.get("Cookie") == ("sid=s3cr3t" if own_session else None)
    assert seen["image_api"]["Referer"] == f"{base}/image/"
    for name in ("Cookie", "Origin", "Referer", "Content-Type", "Sec-Fetch-Site"):
        assert name not in seen["image"]


async def test_timeout_applies_per_request_even_with_the_callers_session(
    serve: Serve, client_session: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), 10)
        return web.Response(text="data: too late\n\n")

    provider = AiChats.with_base_url(await serve({CHAT: slow}))
    try:  # the server answers only after 10 s: an answer instead of the error means the timeout was ignored
        with pytest.raises(ProviderTimeoutError) as info:
            await provider.create_async("gpt-4", HI, session=client_session, timeout=0.3)
    finally:
        release.set()
    assert info.value.reason == "127.0.0.1 timed out"
    assert not client_session.closed


@pytest.mark.parametrize(
    "limit", [aiohttp.ClientTimeout(total=None, sock_read=0.3), 0.5], ids=["socket-read", "total"]
)
async def test_stall_mid_stream_is_a_timeout_after_the_text_so_far(serve: Serve, limit: Any) -> None:
    """A read timeout is both a connection error and a TimeoutError in aiohttp: it must map to a timeout."""
    release = asyncio.Event()

    async def stalls(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: Hello\n\n")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), 10)
        return response

    provider = AiChats.with_base_url(await serve({CHAT: stalls}))
    try:
        items, err = await until_error(provider.create_async_generator("gpt-4", HI, timeout=limit))
    finally:
        release.set()
    assert items == ["Hello"]
    assert type(err) is ProviderTimeoutError


async def test_connection_cut_mid_stream(serve: Serve) -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: Hello\n\n")
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(1)
        return response

    provider = AiChats.with_base_url(await serve({CHAT: cut}))
    items, err = await until_error(provider.create_async_generator("gpt-4", HI))
    assert items == ["Hello"]
    assert type(err) is ProviderConnectionError
    assert err.reason == "the connection to 127.0.0.1 was interrupted"


async def test_unreachable_provider_and_image_host(serve: Serve) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    _, err = await until_error(AiChats.with_base_url(dead).create_async_generator("gpt-4", HI))
    assert type(err) is ProviderConnectionError and err.reason == "127.0.0.1 is unreachable"

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"url": f"{dead}/fox.png"}]})

    provider = AiChats.with_base_url(await serve({CHAT: api}))
    _, err = await until_error(provider.create_async_generator("dalle", HI))
    assert type(err) is ProviderConnectionError and err.reason == "the image host is unreachable"


async def test_endless_image_is_cut_at_the_default_cap(serve: Serve, png_bytes: bytes) -> None:
    """An image stream with no Content-Length stops being read at 20 MB; the server sees the hang-up."""
    sent = 0
    stopped = asyncio.Event()

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"url": f"{base}/endless.png"}]})

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        block = bytes(256 * 1024)
        try:
            await response.write(png_bytes)
            while sent < 200 * MB:
                await response.write(block)
                sent += len(block)
        except ConnectionError:
            pass
        finally:
            stopped.set()
        return response

    base = await serve({CHAT: api, ("GET", "/endless.png"): endless})
    provider = AiChats.with_base_url(base)
    _, err = await until_error(provider.create_async_generator("dalle", HI))
    assert type(err) is ImageTooLargeError
    assert err.reason == "the image is larger than 20 MB"
    await asyncio.wait_for(stopped.wait(), 5)
    assert 20 * MB - 256 * 1024 < sent < 64 * MB
