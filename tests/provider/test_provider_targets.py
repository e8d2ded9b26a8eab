"""AiChats options and targets: session ownership, subclasses, changed attributes, ``with_base_url``."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from provider import AiChats, ProviderError, ProviderHTTPError

API = "https://ai-chats.org/chat/send2/"
HI = [{"role": "user", "content": "Hi"}]


def sse(*texts: str) -> str:
    return "".join(f"data: {text}\n\n" for text in texts)


def calls(m: aioresponses, method: str = "POST", url: str = API) -> list[Any]:
    return m.requests.get((method, URL(url)), [])


async def collect_until_error(**kwargs: Any) -> tuple[list[Any], ProviderError]:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in AiChats.create_async_generator("gpt-4", HI, **kwargs):
            items.append(item)
    return items, info.value


class TestSessions:
    async def test_callers_session_is_used_and_left_open(
        self, mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        created: list[aiohttp.ClientSession] = []
        real = aiohttp.ClientSession
        async with real() as session:
            monkeypatch.setattr(aiohttp, "ClientSession", lambda *a, **k: created.append(real(*a, **k)) or created[-1])
            mocked.post(API, body=sse("ok"))
            assert await AiChats.create_async("gpt-4", HI, session=session) == "ok"
            assert not session.closed
            assert created == []

    async def test_own_session_is_closed_even_when_the_caller_stops_early(
        self, mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        created: list[aiohttp.ClientSession] = []
        real = aiohttp.ClientSession
        monkeypatch.setattr(aiohttp, "ClientSession", lambda *a, **k: created.append(real(*a, **k)) or created[-1])
        mocked.post(API, body=sse("one", " two", " three"))
        mocked.post(API, status=500)
        stream = AiChats.create_async_generator("gpt-4", HI)
        assert await anext(stream) == "one"
        await stream.aclose()
        with pytest.raises(ProviderHTTPError):
            await AiChats.create_async("gpt-4", HI)
        assert len(created) == 2 and all(session.closed for session in created)


class TestTargets:
    async def test_subclass_retargets_requests(self, mocked: aioresponses) -> None:
        class Mirror(AiChats):
            url = "https://mirror.example"
            api_endpoint = "https://mirror.example/api/"

        mocked.post("https://mirror.example/api/", body=sse("ok"))
        assert await Mirror.create_async("gpt-4", HI) == "ok"
        headers = calls(mocked, url="https://mirror.example/api/")[0].kwargs["headers"]
        assert headers["origin"] == "https://mirror.example"
        assert headers["referer"] == "https://mirror.example/chat/"
        assert Mirror.label == "mirror.example" and AiChats.label == "ai-chats.org"

    async def test_changed_attributes_are_read_at_call_time(
        self, mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(AiChats, "url", "http://elsewhere.test")
        monkeypatch.setattr(AiChats, "api_endpoint", "http://elsewhere.test/chat/send2/")
        mocked.post("http://elsewhere.test/chat/send2/", status=500)
        _, err = await collect_until_error()
        assert err.reason == "elsewhere.test returned HTTP 500"

    async def test_with_base_url(self, mocked: aioresponses) -> None:
        local = AiChats.with_base_url("http://127.0.0.1:8081/")
        assert issubclass(local, AiChats) and local is not AiChats
        assert local.url == "http://127.0.0.1:8081"
        assert local.api_endpoint == "http://127.0.0.1:8081/chat/send2/"
        assert local.label == "127.0.0.1"
        assert local.models == ["gpt-4", "dalle"] and local.default_model == "gpt-4"
        assert AiChats.url == "https://ai-chats.org"
        mocked.post("http://127.0.0.1:8081/chat/send2/", body=sse("local"))
        assert await local.create_async("gpt-4", HI) == "local"

    @pytest.mark.parametrize("bad", ["ftp://host", "localhost:8080", "", "http://"])
    def test_with_base_url_refuses_non_http(self, bad: str) -> None:
        with pytest.raises(ValueError):
            AiChats.with_base_url(bad)
