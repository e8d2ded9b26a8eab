"""AiChats chat requests and answers, with HTTP mocked by aioresponses."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from provider import (
    AiChats,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)

API = "https://ai-chats.org/chat/send2/"
HI = [{"role": "user", "content": "Hi"}]


def sse(*texts: str, eol: str = "\n") -> str:
    return "".join(f"data: {text}{eol}{eol}" for text in texts)


def calls(m: aioresponses, method: str = "POST", url: str = API) -> list[Any]:
    return m.requests.get((method, URL(url)), [])


async def collect(model: str = "gpt-4", messages: list[dict[str, str]] = HI, **kwargs: Any) -> list[str]:
    return [chunk async for chunk in AiChats.create_async_generator(model, messages, **kwargs)]


async def collect_until_error(**kwargs: Any) -> tuple[list[Any], ProviderError]:
    """Everything yielded before the error, and the error: proves errors are raised, never yielded."""
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in AiChats.create_async_generator("gpt-4", HI, **kwargs):
            items.append(item)
    return items, info.value


class TestRequest:
    async def test_exact_headers_body_and_options(
        self, mocked: aioresponses, expected_chat_headers: dict[str, str]
    ) -> None:
        mocked.post(API, body=sse("ok"), content_type="text/event-stream")
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "What is 2+2?"},
        ]
        assert await collect(messages=messages) == ["ok"]
        [call] = calls(mocked)
        sent = call.kwargs["headers"]
        assert sent == expected_chat_headers
        assert list(sent) == list(expected_chat_headers)  # the reference's order
        assert "cookie" not in {key.lower() for key in sent}
        assert call.kwargs["data"] == (
            b'{"type": "chat", "messagesHistory": [{"from": "you", "content": '
            b'"System: You are terse.\\nUser: Hi\\nAssistant: Hello!\\nUser: What is 2+2?\\nAssistant:"}]}'
        )
        assert call.kwargs["proxy"] is None
        assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=120, connect=10)

    async def test_body_is_ascii_json_like_json_dumps(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse("ok"))
        await collect(messages=[{"role": "user", "content": "Привет 👋"}])
        body = calls(mocked)[0].kwargs["data"]
        assert body == (
            b'{"type": "chat", "messagesHistory": [{"from": "you", "content": '
            b'"\\u041f\\u0440\\u0438\\u0432\\u0435\\u0442 \\ud83d\\udc4b"}]}'
        )
        assert body == json.dumps(
            {"type": "chat", "messagesHistory": [{"from": "you", "content": "Привет 👋"}]}
        ).encode()

    async def test_cookie_is_optional_configuration(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse("ok"))
        await collect(cookie="session=abc; csrf=xyz")
        assert calls(mocked)[0].kwargs["headers"]["cookie"] == "session=abc; csrf=xyz"

    async def test_cookie_with_line_break_is_refused_before_any_request(self, mocked: aioresponses) -> None:
        with pytest.raises(ValueError):
            await collect(cookie="a=b\r\nX-Evil: 1")
        assert mocked.requests == {}

    async def test_proxy_and_timeouts_are_passed_per_request(self, mocked: aioresponses) -> None:
        for _ in range(3):
            mocked.post(API, body=sse("ok"))
        await collect(proxy="http://proxy.local:3128", timeout=5)
        await collect(timeout=aiohttp.ClientTimeout(total=7, sock_read=2))
        await collect(timeout=2.5)
        first, second, third = calls(mocked)
        assert first.kwargs["proxy"] == "http://proxy.local:3128"
        assert first.kwargs["timeout"] == aiohttp.ClientTimeout(total=5.0, connect=10.0)
        assert second.kwargs["timeout"] == aiohttp.ClientTimeout(total=7, sock_read=2)
        assert third.kwargs["timeout"].total == 2.5

    @pytest.mark.parametrize("bad", [0, -1, "10", True])
    async def test_bad_timeout_is_refused(self, mocked: aioresponses, bad: object) -> None:
        with pytest.raises((TypeError, ValueError)):
            await collect(timeout=bad)
        assert mocked.requests == {}

    async def test_empty_messages_raise_value_error_before_any_request(self, mocked: aioresponses) -> None:
        with pytest.raises(ValueError):
            await collect(messages=[])
        with pytest.raises(ValueError):
            await AiChats.create_async("gpt-4", [])
        assert mocked.requests == {}

    @pytest.mark.parametrize("model", ["gpt-4", "gpt-4o", "", "DALLE", "dalle-3"])
    async def test_every_model_but_dalle_is_chat(self, mocked: aioresponses, model: str) -> None:
        mocked.post(API, body=sse("ok"))
        assert await collect(model=model) == ["ok"]
        call = calls(mocked)[0]
        assert json.loads(call.kwargs["data"])["type"] == "chat"
        assert call.kwargs["headers"]["referer"] == "https://ai-chats.org/chat/"

    async def test_unknown_options_are_ignored(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse("ok"))
        assert await collect(stream=True, api_key="unused", temperature=0.2) == ["ok"]


class TestAnswer:
    @pytest.mark.parametrize(
        ("body", "chunks"),
        [
            (sse("Hello", " world", "!"), ["Hello", " world", "!"]),
            ("data:   Hello\n\ndata:  world \n\ndata:  \n\ndata:\ndata:\n\n", ["Hello", " world"]),
            ("data: Hello \n\ndata:\ndata:\n\ndata: world\n\n", ["Hello ", "\n", "world"]),
            ("data: line one\ndata: line two\n\ndata: !\n\n", ["line one\nline two", "!"]),
            (sse("Hello", " CRLF", eol="\r\n"), ["Hello", " CRLF"]),
            ("data:no-space\n\n", ["no-space"]),
            (sse("Hi", "[DONE]", "not text"), ["Hi"]),
            (": keep-alive\n\nevent: message\nid: 3\nretry: 10\ndata: Hi\n\n: bye\n\n", ["Hi"]),
            (sse("Привет", ", мир", "! 👋🏽 🇺🇦"), ["Привет", ", мир", "! 👋🏽 🇺🇦"]),
            ("data: Hi\n\ndata:  there", ["Hi", " there"]),  # like the reference: last line kept at EOF
        ],
    )
    async def test_stream_is_parsed_as_sse(self, mocked: aioresponses, body: str, chunks: list[str]) -> None:
        mocked.post(API, body=body.encode(), content_type="text/event-stream")
        assert await collect() == chunks

    async def test_create_async_joins_the_whole_answer(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse(" The answer", " is", " 4. "))
        assert await AiChats.create_async("gpt-4", HI) == "The answer is 4."

    @pytest.mark.parametrize(
        "body", ["", "data: \n\n", "data:   \n\ndata: \n\n", ": only a comment\n\n", "data: [DONE]\n\n", "{}"]
    )
    async def test_empty_answer_is_an_error(self, mocked: aioresponses, body: str) -> None:
        mocked.post(API, body=body)
        items, err = await collect_until_error()
        assert items == []
        assert type(err) is ProviderResponseError
        assert err.reason == "ai-chats.org returned an empty answer"
        assert err.provider == "ai-chats.org"

    async def test_create_async_raises_instead_of_returning_an_error_string(self, mocked: aioresponses) -> None:
        mocked.post(API, body="")
        with pytest.raises(ProviderResponseError):
            await AiChats.create_async("gpt-4", HI)


class TestErrors:
    @pytest.mark.parametrize("status", [400, 404, 500, 502, 503])
    async def test_http_error(self, mocked: aioresponses, status: int, caplog: pytest.LogCaptureFixture) -> None:
        mocked.post(API, status=status, body="<html>upstream broke</html>")
        with caplog.at_level(logging.WARNING, logger="provider"):
            items, err = await collect_until_error()
        assert items == []
        assert type(err) is ProviderHTTPError
        assert (err.status, err.url, err.provider) == (status, API, "ai-chats.org")
        assert err.reason == f"ai-chats.org returned HTTP {status}"
        assert "https://" not in err.reason and API in str(err)
        assert any(r.name.startswith("provider") and "upstream broke" in r.getMessage() for r in caplog.records)

    @pytest.mark.parametrize("status", [401, 403])
    async def test_auth_error(self, mocked: aioresponses, status: int) -> None:
        mocked.post(API, status=status)
        _, err = await collect_until_error()
        assert isinstance(err, ProviderAuthError) and isinstance(err, ProviderHTTPError)
        assert err.status == status and str(status) in err.reason

    @pytest.mark.parametrize(("header", "expected"), [({"Retry-After": "7"}, 7.0), ({}, None)])
    async def test_rate_limit(self, mocked: aioresponses, header: dict[str, str], expected: float | None) -> None:
        mocked.post(API, status=429, headers=header)
        _, err = await collect_until_error()
        assert isinstance(err, ProviderRateLimitError)
        assert err.status == 429 and err.retry_after == expected

    @pytest.mark.parametrize(
        "exc", [TimeoutError(), aiohttp.ServerTimeoutError("read"), aiohttp.ConnectionTimeoutError()]
    )
    async def test_timeout(self, mocked: aioresponses, exc: Exception) -> None:
        mocked.post(API, exception=exc)
        _, err = await collect_until_error()
        assert type(err) is ProviderTimeoutError
        assert err.reason == "ai-chats.org timed out"
        assert isinstance(err.__cause__, TimeoutError)

    async def test_unreachable(self, mocked: aioresponses) -> None:
        key = SimpleNamespace(host="ai-chats.org", port=443, ssl=True)
        mocked.post(API, exception=aiohttp.ClientConnectorError(key, OSError(111, "Connection refused")))
        _, err = await collect_until_error()
        assert type(err) is ProviderConnectionError
        assert err.reason == "ai-chats.org is unreachable"

    @pytest.mark.parametrize(
        "exc", [aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut"), aiohttp.ClientOSError()]
    )
    async def test_connection_lost(self, mocked: aioresponses, exc: Exception) -> None:
        mocked.post(API, exception=exc)
        _, err = await collect_until_error()
        assert type(err) is ProviderConnectionError
        assert err.reason == "the connection to ai-chats.org was interrupted"

    async def test_proxy_failures(self, mocked: aioresponses) -> None:
        info = aiohttp.RequestInfo(URL(API), "POST", CIMultiDictProxy(CIMultiDict()), URL(API))
        mocked.post(API, exception=aiohttp.ClientHttpProxyError(info, (), status=407))
        key = SimpleNamespace(host="proxy.local", port=3128, ssl=False)
        mocked.post(API, exception=aiohttp.ClientProxyConnectionError(key, OSError(111, "refused")))
        _, refused = await collect_until_error(proxy="http://proxy.local:3128")
        _, down = await collect_until_error(proxy="http://proxy.local:3128")
        assert type(refused) is ProviderConnectionError
        assert refused.reason == "the proxy refused to connect to ai-chats.org"
        assert type(down) is ProviderConnectionError and down.reason == "the proxy is unreachable"

    async def test_callers_raise_for_status_session_still_gives_provider_errors(self, mocked: aioresponses) -> None:
        mocked.post(API, status=429, headers={"Retry-After": "2"})
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            _, err = await collect_until_error(session=session)
        assert isinstance(err, ProviderRateLimitError) and err.retry_after == 2.0
        assert calls(mocked)[0].kwargs["raise_for_status"] is False

    async def test_client_response_error_is_mapped_by_status(self, mocked: aioresponses) -> None:
        info = aiohttp.RequestInfo(URL(API), "POST", CIMultiDictProxy(CIMultiDict()), URL(API))
        mocked.post(API, exception=aiohttp.ClientResponseError(info, (), status=503))
        _, err = await collect_until_error()
        assert type(err) is ProviderHTTPError and err.status == 503
        assert err.reason == "ai-chats.org returned HTTP 503"

    async def test_unmatched_request_is_a_connection_error(self, mocked: aioresponses) -> None:
        _, err = await collect_until_error()  # aioresponses raises ClientConnectionError for unknown URLs
        assert isinstance(err, ProviderConnectionError)
