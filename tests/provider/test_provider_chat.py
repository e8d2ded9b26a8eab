"""AiChats chat requests and answers, over a real socket to the scripted stub (tests/provider/stub.py).

aiohttp failures that a local server cannot provoke on demand (a connect timeout, a 407 from a proxy, a
caller's ``raise_for_status`` error) are checked where they are translated: ``provider.http.translate_errors``.
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
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
from provider.http import resolve_timeout, translate_errors
from tests.helpers import free_port
from tests.provider.stub import AICHATS_PATH as PATH
from tests.provider.stub import Received, StubServer, sse
from tests.provider.stub import aichats_at as local

HI = [{"role": "user", "content": "Hi"}]
AIOHTTP_OWN = {"host", "content-length", "accept-encoding"}  # what aiohttp adds to every request


def sent_headers(call: Received) -> dict[str, str]:
    """The request's own headers, lower-cased, in the order they went over the wire."""
    return {name.lower(): value for name, value in call.headers.items() if name.lower() not in AIOHTTP_OWN}


async def collect(
    stub: StubServer, model: str = "gpt-4", messages: list[dict[str, str]] = HI, **kwargs: Any
) -> list[str]:
    return [chunk async for chunk in local(stub).create_async_generator(model, messages, **kwargs)]


async def collect_until_error(stub: StubServer, **kwargs: Any) -> tuple[list[Any], ProviderError]:
    """Everything yielded before the error, and the error: proves errors are raised, never yielded."""
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in local(stub).create_async_generator("gpt-4", HI, **kwargs):
            items.append(item)
    return items, info.value


class TestRequest:
    async def test_exact_headers_body_and_no_proxy(
        self, stub: StubServer, expected_chat_headers: dict[str, str]
    ) -> None:
        stub.post(PATH, body=sse("ok"), content_type="text/event-stream")
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "What is 2+2?"},
        ]
        assert await collect(stub, messages=messages) == ["ok"]
        [call] = stub.requests_to(PATH)
        sent = sent_headers(call)
        assert sent == expected_chat_headers
        assert list(sent) == list(expected_chat_headers)  # the reference's order
        assert "cookie" not in call.headers
        assert call.body == (
            b'{"type": "chat", "messagesHistory": [{"from": "you", "content": '
            b'"System: You are terse.\\nUser: Hi\\nAssistant: Hello!\\nUser: What is 2+2?\\nAssistant:"}]}'
        )
        assert call.url == PATH  # straight to the server: no proxy by default

    async def test_body_is_ascii_json_like_json_dumps(self, stub: StubServer) -> None:
        stub.post(PATH, body=sse("ok"))
        await collect(stub, messages=[{"role": "user", "content": "Привет 👋"}])
        body = stub.requests_to(PATH)[0].body
        assert body == (
            b'{"type": "chat", "messagesHistory": [{"from": "you", "content": '
            b'"\\u041f\\u0440\\u0438\\u0432\\u0435\\u0442 \\ud83d\\udc4b"}]}'
        )
        assert body == json.dumps(
            {"type": "chat", "messagesHistory": [{"from": "you", "content": "Привет 👋"}]}
        ).encode()

    async def test_cookie_is_optional_configuration(self, stub: StubServer) -> None:
        stub.post(PATH, body=sse("ok"))
        await collect(stub, cookie="session=abc; csrf=xyz")
        assert stub.requests_to(PATH)[0].headers["cookie"] == "session=abc; csrf=xyz"

    async def test_cookie_with_line_break_is_refused_before_any_request(self, stub: StubServer) -> None:
        with pytest.raises(ValueError):
            await collect(stub, cookie="a=b\r\nX-Evil: 1")
        assert stub.received == []

    async def test_proxy_is_used_per_request(self, stub: StubServer) -> None:
        """Through ``proxy=`` the request goes to the proxy (the stub) naming ai-chats.org's URL."""
        remote = AiChats._subclass(api_endpoint="http://ai-chats.test/chat/send2/")
        stub.post(PATH, body=sse("ok"))
        stub.post(PATH, body=sse("direct"))
        assert await remote.create_async("gpt-4", HI, proxy=stub.url(), timeout=5) == "ok"
        assert await collect(stub) == ["direct"]
        proxied, direct = stub.requests_to(PATH)
        assert proxied.url == "http://ai-chats.test/chat/send2/" and proxied.headers["Host"] == "ai-chats.test"
        assert direct.url == PATH

    async def test_timeouts(self) -> None:
        assert resolve_timeout(None) == aiohttp.ClientTimeout(total=120, connect=10)
        assert resolve_timeout(5) == aiohttp.ClientTimeout(total=5.0, connect=10.0)
        assert resolve_timeout(2.5).total == 2.5
        own = aiohttp.ClientTimeout(total=7, sock_read=2)
        assert resolve_timeout(own) is own

    @pytest.mark.parametrize(
        "limit", [0.2, aiohttp.ClientTimeout(total=300, sock_read=0.2)], ids=["seconds", "client-timeout"]
    )
    async def test_timeout_is_applied_per_request(
        self, stub: StubServer, client_session: aiohttp.ClientSession, limit: Any
    ) -> None:
        """The caller's session allows 300 s; the call's own timeout still cuts a slow server short."""
        stub.post(PATH, body=sse("late"), delay=5)
        _, err = await collect_until_error(stub, session=client_session, timeout=limit)
        assert type(err) is ProviderTimeoutError and err.reason == "ai-chats.org timed out"
        assert isinstance(err.__cause__, TimeoutError)
        assert not client_session.closed

    @pytest.mark.parametrize("bad", [0, -1, "10", True])
    async def test_bad_timeout_is_refused(self, stub: StubServer, bad: object) -> None:
        with pytest.raises((TypeError, ValueError)):
            await collect(stub, timeout=bad)
        assert stub.received == []

    async def test_empty_messages_raise_value_error_before_any_request(self, stub: StubServer) -> None:
        with pytest.raises(ValueError):
            await collect(stub, messages=[])
        with pytest.raises(ValueError):
            await local(stub).create_async("gpt-4", [])
        assert stub.received == []

    @pytest.mark.parametrize("model", ["gpt-4", "gpt-4o", "", "DALLE", "dalle-3"])
    async def test_every_model_but_dalle_is_chat(self, stub: StubServer, model: str) -> None:
        stub.post(PATH, body=sse("ok"))
        assert await collect(stub, model=model) == ["ok"]
        [call] = stub.requests_to(PATH)
        assert call.json()["type"] == "chat"
        assert call.headers["referer"] == "https://ai-chats.org/chat/"

    async def test_unknown_options_are_ignored(self, stub: StubServer) -> None:
        stub.post(PATH, body=sse("ok"))
        assert await collect(stub, stream=True, api_key="unused", temperature=0.2) == ["ok"]


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
    async def test_stream_is_parsed_as_sse(self, stub: StubServer, body: str, chunks: list[str]) -> None:
        stub.post(PATH, body=body.encode(), content_type="text/event-stream")
        assert await collect(stub) == chunks

    async def test_create_async_joins_the_whole_answer(self, stub: StubServer) -> None:
        stub.post(PATH, body=sse(" The answer", " is", " 4. "))
        assert await local(stub).create_async("gpt-4", HI) == "The answer is 4."

    @pytest.mark.parametrize(
        "body", ["", "data: \n\n", "data:   \n\ndata: \n\n", ": only a comment\n\n", "data: [DONE]\n\n", "{}"]
    )
    async def test_empty_answer_is_an_error(self, stub: StubServer, body: str) -> None:
        stub.post(PATH, body=body)
        items, err = await collect_until_error(stub)
        assert items == []
        assert type(err) is ProviderResponseError
        assert err.reason == "ai-chats.org returned an empty answer"
        assert err.provider == "ai-chats.org"

    async def test_create_async_raises_instead_of_returning_an_error_string(self, stub: StubServer) -> None:
        stub.post(PATH, body="")
        with pytest.raises(ProviderResponseError):
            await local(stub).create_async("gpt-4", HI)


class TestErrors:
    @pytest.mark.parametrize("status", [400, 404, 500, 502, 503])
    async def test_http_error(self, stub: StubServer, status: int, caplog: pytest.LogCaptureFixture) -> None:
        stub.post(PATH, status=status, body="<html>upstream broke</html>")
        with caplog.at_level(logging.WARNING, logger="provider"):
            items, err = await collect_until_error(stub)
        assert items == []
        assert type(err) is ProviderHTTPError
        assert (err.status, err.url, err.provider) == (status, stub.url(PATH), "ai-chats.org")
        assert err.reason == f"ai-chats.org returned HTTP {status}"
        assert "http://" not in err.reason and stub.url(PATH) in str(err)
        assert any(r.name.startswith("provider") and "upstream broke" in r.getMessage() for r in caplog.records)

    @pytest.mark.parametrize("status", [401, 403])
    async def test_auth_error(self, stub: StubServer, status: int) -> None:
        stub.post(PATH, status=status)
        _, err = await collect_until_error(stub)
        assert isinstance(err, ProviderAuthError) and isinstance(err, ProviderHTTPError)
        assert err.status == status and str(status) in err.reason

    @pytest.mark.parametrize(("header", "expected"), [({"Retry-After": "7"}, 7.0), ({}, None)])
    async def test_rate_limit(self, stub: StubServer, header: dict[str, str], expected: float | None) -> None:
        stub.post(PATH, status=429, headers=header)
        _, err = await collect_until_error(stub)
        assert isinstance(err, ProviderRateLimitError)
        assert err.status == 429 and err.retry_after == expected

    async def test_unreachable(self) -> None:
        closed = AiChats._subclass(api_endpoint=f"http://127.0.0.1:{free_port()}{PATH}")
        with pytest.raises(ProviderError) as info:
            await closed.create_async("gpt-4", HI)
        assert type(info.value) is ProviderConnectionError
        assert info.value.reason == "ai-chats.org is unreachable"

    async def test_connection_lost(self, stub: StubServer) -> None:
        stub.post(PATH, reset=True)
        stub.post(PATH, body=sse("cut"), cut=True)  # the connection drops mid-answer
        for expected_items in ([], ["cut"]):
            items, err = await collect_until_error(stub)
            assert items == expected_items
            assert type(err) is ProviderConnectionError
            assert err.reason == "the connection to ai-chats.org was interrupted"

    async def test_proxy_failures(self, stub: StubServer) -> None:
        # The stub, as a proxy, answers CONNECT for https://ai-chats.org with an error status.
        with pytest.raises(ProviderError) as info:
            await AiChats.create_async("gpt-4", HI, proxy=stub.url())
        refused = info.value
        with pytest.raises(ProviderError) as info:
            await AiChats.create_async("gpt-4", HI, proxy=f"http://127.0.0.1:{free_port()}")
        down = info.value
        assert type(refused) is ProviderConnectionError
        assert refused.reason == "the proxy refused to connect to ai-chats.org"
        assert type(down) is ProviderConnectionError and down.reason == "the proxy is unreachable"
        assert stub.received == []  # the CONNECT never reached a route: nothing went to ai-chats.org

    async def test_unscripted_request_is_a_connection_error(self, stub: StubServer) -> None:
        _, err = await collect_until_error(stub)  # the stub closes the connection of unscripted requests
        assert isinstance(err, ProviderConnectionError)

    async def test_callers_raise_for_status_session_still_gives_provider_errors(
        self, stub: StubServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        stub.post(PATH, status=429, headers={"Retry-After": "2"}, body="slow down")
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            with caplog.at_level(logging.WARNING, logger="provider"):
                _, err = await collect_until_error(stub, session=session)
        assert isinstance(err, ProviderRateLimitError) and err.retry_after == 2.0
        # The provider read the answer itself (raise_for_status=False per request): it logged the body.
        assert "b'slow down'" in caplog.text


def _request_info() -> aiohttp.RequestInfo:
    url = URL("https://ai-chats.org/chat/send2/")
    return aiohttp.RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url)


class TestTranslation:
    """What ``translate_errors`` makes of each aiohttp failure, including those no local server provokes."""

    @staticmethod
    def translated(exc: Exception) -> ProviderError:
        with pytest.raises(ProviderError) as info, translate_errors(
            "ai-chats.org", "https://ai-chats.org/chat/send2/", provider="ai-chats.org"
        ):
            raise exc
        assert info.value.__cause__ is exc
        return info.value

    @pytest.mark.parametrize(
        "exc", [TimeoutError(), aiohttp.ServerTimeoutError("read"), aiohttp.ConnectionTimeoutError()]
    )
    def test_timeout(self, exc: Exception) -> None:
        err = self.translated(exc)
        assert type(err) is ProviderTimeoutError and err.reason == "ai-chats.org timed out"

    def test_unreachable(self) -> None:
        key = SimpleNamespace(host="ai-chats.org", port=443, ssl=True)
        err = self.translated(aiohttp.ClientConnectorError(key, OSError(111, "Connection refused")))  # type: ignore[arg-type]
        assert type(err) is ProviderConnectionError and err.reason == "ai-chats.org is unreachable"

    @pytest.mark.parametrize(
        "exc", [aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut"), aiohttp.ClientOSError()]
    )
    def test_connection_lost(self, exc: Exception) -> None:
        err = self.translated(exc)
        assert type(err) is ProviderConnectionError
        assert err.reason == "the connection to ai-chats.org was interrupted"

    def test_proxy_failures(self) -> None:
        refused = self.translated(aiohttp.ClientHttpProxyError(_request_info(), (), status=407))
        key = SimpleNamespace(host="proxy.local", port=3128, ssl=False)
        down = self.translated(aiohttp.ClientProxyConnectionError(key, OSError(111, "refused")))  # type: ignore[arg-type]
        assert type(refused) is ProviderConnectionError
        assert refused.reason == "the proxy refused to connect to ai-chats.org" and "HTTP 407" in str(refused)
        assert type(down) is ProviderConnectionError and down.reason == "the proxy is unreachable"

    def test_client_response_error_is_mapped_by_status(self) -> None:
        headers = CIMultiDictProxy(CIMultiDict({"Retry-After": "2"}))
        err = self.translated(aiohttp.ClientResponseError(_request_info(), (), status=503))
        limited = self.translated(aiohttp.ClientResponseError(_request_info(), (), status=429, headers=headers))
        assert type(err) is ProviderHTTPError and err.status == 503
        assert err.reason == "ai-chats.org returned HTTP 503"
        assert isinstance(limited, ProviderRateLimitError) and limited.retry_after == 2.0

    def test_provider_errors_pass_through(self) -> None:
        original = ProviderResponseError("kept", provider="ai-chats.org")
        with pytest.raises(ProviderResponseError) as info, translate_errors("x", "http://x/", provider="x"):
            raise original
        assert info.value is original
