"""AiChats options and targets: session ownership, subclasses, changed attributes, ``with_base_url``.

Hosts that do not exist here are reached through the stub server as an HTTP proxy: it sees the absolute
URL each request names, so the target is checked without any DNS lookup or outside connection.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from provider import AiChats, ProviderError, ProviderHTTPError
from tests.provider.stub import AICHATS_PATH as PATH
from tests.provider.stub import StubServer, sse
from tests.provider.stub import aichats_at as local

HI = [{"role": "user", "content": "Hi"}]


async def collect_until_error(provider: Any = AiChats, **kwargs: Any) -> tuple[list[Any], ProviderError]:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in provider.create_async_generator("gpt-4", HI, **kwargs):
            items.append(item)
    return items, info.value


class TestSessions:
    async def test_callers_session_is_used_and_left_open(
        self, stub: StubServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        created: list[aiohttp.ClientSession] = []
        real = aiohttp.ClientSession
        async with real() as session:
            monkeypatch.setattr(aiohttp, "ClientSession", lambda *a, **k: created.append(real(*a, **k)) or created[-1])
            stub.post(PATH, body=sse("ok"))
            assert await local(stub).create_async("gpt-4", HI, session=session) == "ok"
            assert not session.closed
            assert created == []

    async def test_own_session_is_closed_even_when_the_caller_stops_early(
        self, stub: StubServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        created: list[aiohttp.ClientSession] = []
        real = aiohttp.ClientSession
        monkeypatch.setattr(aiohttp, "ClientSession", lambda *a, **k: created.append(real(*a, **k)) or created[-1])
        stub.post(PATH, body=sse("one", " two", " three"))
        stub.post(PATH, status=500)
        stream = local(stub).create_async_generator("gpt-4", HI)
        assert await anext(stream) == "one"
        await stream.aclose()
        with pytest.raises(ProviderHTTPError):
            await local(stub).create_async("gpt-4", HI)
        assert len(created) == 2 and all(session.closed for session in created)


class TestTargets:
    async def test_subclass_retargets_requests(self, stub: StubServer) -> None:
        class Mirror(AiChats):
            url = "http://mirror.example"
            api_endpoint = "http://mirror.example/api/"

        stub.post("/api/", body=sse("ok"))
        assert await Mirror.create_async("gpt-4", HI, proxy=stub.url()) == "ok"
        [call] = stub.requests_to("/api/")
        assert call.url == "http://mirror.example/api/"
        assert call.headers["origin"] == "http://mirror.example"
        assert call.headers["referer"] == "http://mirror.example/chat/"
        assert Mirror.label == "mirror.example" and AiChats.label == "ai-chats.org"

    async def test_changed_attributes_are_read_at_call_time(
        self, stub: StubServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(AiChats, "url", "http://elsewhere.test")
        monkeypatch.setattr(AiChats, "api_endpoint", "http://elsewhere.test/chat/send2/")
        stub.post(PATH, status=500)
        _, err = await collect_until_error(proxy=stub.url())
        assert err.reason == "elsewhere.test returned HTTP 500"
        assert [r.url for r in stub.received] == ["http://elsewhere.test/chat/send2/"]

    async def test_with_base_url(self, stub: StubServer) -> None:
        target = AiChats.with_base_url(stub.url("/"))
        assert issubclass(target, AiChats) and target is not AiChats
        assert target.url == stub.url()
        assert target.api_endpoint == stub.url("/chat/send2/")
        assert target.label == "127.0.0.1"
        assert target.models == ["gpt-4", "dalle"] and target.default_model == "gpt-4"
        assert AiChats.url == "https://ai-chats.org"
        stub.post(PATH, body=sse("local"))
        assert await target.create_async("gpt-4", HI) == "local"

    @pytest.mark.parametrize("bad", ["ftp://host", "localhost:8080", "", "http://"])
    def test_with_base_url_refuses_non_http(self, bad: str) -> None:
        with pytest.raises(ValueError):
            AiChats.with_base_url(bad)
