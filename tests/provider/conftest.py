"""Fixtures for the provider tests: real 127.0.0.1 servers (the scripted stub), sessions, image bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.helpers import image_bytes
from tests.provider.stub import StubServer

_EXPECTED_CHAT_HEADERS = {
    "accept": "application/json, text/event-stream",
    "accept-language": "en-US,en;q=0.9",
    "cache-control": "no-cache",
    "content-type": "application/json",
    "origin": "https://ai-chats.org",
    "pragma": "no-cache",
    "referer": "https://ai-chats.org/chat/",
    "sec-ch-ua": '"Chromium";v="127", "Not)A;Brand";v="99"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Linux"',
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/127.0.0.0 Safari/537.36",
}


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    return image_bytes("PNG", 1, 1, (255, 0, 0))


@pytest.fixture(scope="session")
def jpeg_bytes() -> bytes:
    return image_bytes("JPEG", 4, 4)


@pytest.fixture(scope="session")
def webp_bytes() -> bytes:
    return image_bytes("WEBP", 4, 4)


@pytest.fixture(scope="session")
def gif_bytes() -> bytes:
    return image_bytes("GIF", 4, 4)


@pytest.fixture
def expected_chat_headers() -> dict[str, str]:
    """The reference's chat headers, written out by hand (no hard-coded cookie)."""
    return dict(_EXPECTED_CHAT_HEADERS)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[dict[tuple[str, str], Handler]], Awaitable[str]]]:
    """Start a real aiohttp server on 127.0.0.1 with the given routes; return its base URL."""
    servers: list[TestServer] = []

    async def start(routes: dict[tuple[str, str], Handler]) -> str:
        app = web.Application()
        for (method, path), handler in routes.items():
            app.router.add_route(method, path, handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def client_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A caller-owned session, with a long default timeout the provider must override per request."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        yield session


@pytest.fixture
async def stub() -> AsyncIterator[StubServer]:
    """A scripted 127.0.0.1 server (tests/provider/stub.py)."""
    async with StubServer() as server:
        yield server
