"""OpenAICompatible chat: configuration, the request on the wire, stream parsing and every error (aioresponses)."""

from __future__ import annotations

import json
import logging
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from provider import (
    AsyncGeneratorProvider,
    OpenAICompatible,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)

KEY = "sk-test-0123456789abcdefSECRET"
OpenAI = OpenAICompatible.configure("https://api.openai.com/v1", api_key=KEY)
API = "https://api.openai.com/v1/chat/completions"
HI = [{"role": "user", "content": "Hi"}]
SSE = "text/event-stream"


def chunk(content: str | None = None, **delta: Any) -> dict[str, Any]:
    if content is not None:
        delta["content"] = content
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def sse(*events: Any) -> str:
    return "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events)


def calls(m: aioresponses, url: str = API) -> list[Any]:
    return m.requests.get(("POST", URL(url)), [])


async def collect(provider: Any = OpenAI, messages: list[dict[str, str]] = HI, **kwargs: Any) -> list[Any]:
    return [item async for item in provider.create_async_generator("gpt-4o-mini", messages, **kwargs)]


async def collect_until_error(provider: Any = OpenAI, **kwargs: Any) -> tuple[list[Any], ProviderError]:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in provider.create_async_generator("gpt-4o-mini", HI, **kwargs):
            items.append(item)
    return items, info.value


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text


class TestConfigure:
    def test_configured_subclass(self) -> None:
        local = OpenAICompatible.configure("http://127.0.0.1:11434/v1/", model="llama3.2", image_model=None)
        assert issubclass(local, OpenAICompatible) and issubclass(local, AsyncGeneratorProvider)
        assert local.url == "http://127.0.0.1:11434/v1"
        assert (local.default_model, local.image_model, local.models) == ("llama3.2", None, ["llama3.2"])
        assert local.label == "127.0.0.1:11434" and local.api_key is None
        assert (OpenAI.label, OpenAI.models, OpenAI.image_model) == (
            "api.openai.com",
            ["gpt-4o-mini", "dall-e-3"],
            "dall-e-3",
        )
        named = OpenAICompatible.configure("https://openrouter.ai/api/v1", model="x/y", label="OpenRouter")
        assert named.label == "OpenRouter" and named.image_model == "dall-e-3"
        assert OpenAICompatible.url == "https://api.openai.com/v1" and OpenAICompatible.api_key is None

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"base_url": "api.openai.com/v1"},
            {"base_url": "ftp://x.test/v1"},
            {"base_url": "https://x.test/v1", "model": " "},
            {"base_url": "https://x.test/v1", "model": "m", "image_model": "m"},
            {"base_url": "https://x.test/v1", "api_key": "sk-a\r\nX-Evil: 1"},
        ],
    )
    def test_bad_configuration_is_refused(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(ValueError) as info:
            OpenAICompatible.configure(**kwargs)
        assert "X-Evil" not in str(info.value)

    def test_the_key_is_masked_everywhere_but_the_header(self) -> None:
        assert_no_key(repr(OpenAI), str(OpenAI), repr(OpenAI.api_key), str(OpenAI.api_key), repr(vars(OpenAI)))
        assert OpenAI.build_headers(stream=True)["authorization"] == f"Bearer {KEY}"


class TestRequest:
    async def test_exact_body_keeps_roles_and_system(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse(chunk("ok"), "[DONE]"), content_type=SSE)
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Привет 👋"},
        ]
        assert await collect(messages=messages) == ["ok"]
        [call] = calls(mocked)
        assert json.loads(call.kwargs["data"]) == {"model": "gpt-4o-mini", "messages": messages, "stream": True}
        assert (
            call.kwargs["data"] == json.dumps({"model": "gpt-4o-mini", "messages": messages, "stream": True}).encode()
        )
        assert call.kwargs["headers"] == {
            "accept": "text/event-stream",
            "content-type": "application/json",
            "authorization": f"Bearer {KEY}",
        }
        assert call.kwargs["raise_for_status"] is False and call.kwargs["proxy"] is None
        assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=120, connect=10)

    async def test_no_key_no_authorization_header(self, mocked: aioresponses) -> None:
        keyless = OpenAICompatible.configure("http://localhost:11434/v1", model="llama3.2")
        mocked.post("http://localhost:11434/v1/chat/completions", body=sse(chunk("ok")), content_type=SSE)
        assert await collect(keyless) == ["ok"]
        [call] = calls(mocked, "http://localhost:11434/v1/chat/completions")
        assert "authorization" not in {name.lower() for name in call.kwargs["headers"]}

    async def test_options(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse(chunk("ok")), content_type=SSE)
        assert await collect(proxy="http://proxy.local:3128", timeout=5, temperature=0.1, cookie="x") == ["ok"]
        [call] = calls(mocked)
        assert call.kwargs["proxy"] == "http://proxy.local:3128"
        assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=5.0, connect=10.0)

    async def test_empty_messages_are_refused_before_any_request(self, mocked: aioresponses) -> None:
        with pytest.raises(ValueError):
            await collect(messages=[])
        assert mocked.requests == {}


class TestAnswer:
    @pytest.mark.parametrize(
        ("body", "chunks"),
        [
            (sse(chunk("", role="assistant"), chunk("Hel"), chunk("lo"), chunk(None), "[DONE]"), ["Hel", "lo"]),
            (sse(chunk("Hi"), {"choices": [], "usage": {"total_tokens": 3}}, "[DONE]", chunk("late")), ["Hi"]),
            (sse(chunk("a"), {"choices": [{"delta": {"content": None}, "finish_reason": "stop"}]}), ["a"]),
            (sse(chunk("think", role="x")) + ": keep-alive\n\n" + sse(chunk(" more")), ["think", " more"]),
            (sse(chunk("\n\nHi "), chunk(" there \n")), ["Hi ", " there"]),
            (sse(chunk("Привет"), chunk(", мир 🇺🇦")).replace("\n", "\r\n"), ["Привет", ", мир 🇺🇦"]),
        ],
    )
    async def test_stream_is_parsed(self, mocked: aioresponses, body: str, chunks: list[str]) -> None:
        mocked.post(API, body=body.encode(), content_type=SSE)
        assert await collect() == chunks

    async def test_create_async_joins_the_answer(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse(chunk("The answer"), chunk(" is 4."), "[DONE]"), content_type=SSE)
        assert await OpenAI.create_async("gpt-4o-mini", HI) == "The answer is 4."

    async def test_a_server_that_ignores_stream_true(self, mocked: aioresponses) -> None:
        mocked.post(API, payload={"object": "chat.completion", "choices": [{"message": {"content": "whole"}}]})
        assert await collect() == ["whole"]

    @pytest.mark.parametrize(
        "body", ["", sse("[DONE]"), sse(chunk("", role="assistant"), "[DONE]"), sse(chunk("  \n")), "data: {}\n\n"]
    )
    async def test_empty_answer_is_an_error(self, mocked: aioresponses, body: str) -> None:
        mocked.post(API, body=body, content_type=SSE)
        items, err = await collect_until_error()
        assert items == [] and type(err) is ProviderResponseError
        assert err.reason == "api.openai.com returned an empty answer"

    async def test_error_object_in_the_stream(self, mocked: aioresponses) -> None:
        error = {"error": {"message": f"Upstream failed for key {KEY}", "type": "server_error"}}
        mocked.post(API, body=sse(error, "[DONE]"), content_type=SSE)
        items, err = await collect_until_error()
        assert items == [] and type(err) is ProviderResponseError
        assert err.reason == "api.openai.com reported an error"
        assert "Upstream failed for key ***" in str(err)
        assert_no_key(str(err), err.reason)

    async def test_malformed_chunk(self, mocked: aioresponses) -> None:
        mocked.post(API, body=sse(chunk("ok"), "{not json"), content_type=SSE)
        items, err = await collect_until_error()
        assert items == ["ok"] and type(err) is ProviderResponseError
        assert err.reason == "api.openai.com sent a malformed answer"

    async def test_web_page_instead_of_an_answer(self, mocked: aioresponses) -> None:
        mocked.post(API, body="<html>Sign in</html>", content_type="text/html")
        _, err = await collect_until_error()
        assert type(err) is ProviderResponseError
        assert err.reason == "api.openai.com returned a web page instead of an answer"


OPENAI_401 = {
    "error": {
        "message": f"Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}


class TestErrors:
    @pytest.mark.parametrize("status", [401, 403])
    async def test_auth_error(self, mocked: aioresponses, status: int, caplog: pytest.LogCaptureFixture) -> None:
        mocked.post(API, status=status, payload=OPENAI_401)
        with caplog.at_level(logging.DEBUG):
            items, err = await collect_until_error()
        assert items == [] and type(err) is ProviderAuthError
        assert err.status == status and err.provider == "api.openai.com"
        assert err.reason == f"api.openai.com refused the API key (HTTP {status})"
        assert "Incorrect API key provided: ***." in str(err) and API in str(err)
        assert "https://" not in err.reason
        assert_no_key(err.reason, str(err), repr(err), caplog.text)
        assert "Incorrect API key provided: ***." in caplog.text  # the server's message is logged, redacted

    async def test_auth_error_without_a_key(self, mocked: aioresponses) -> None:
        keyless = OpenAICompatible.configure("https://api.openai.com/v1")
        mocked.post(API, status=401, payload={"error": {"message": "You didn't provide an API key."}})
        _, err = await collect_until_error(keyless)
        assert err.reason == "api.openai.com refused access without an API key (HTTP 401)"

    @pytest.mark.parametrize(("headers", "expected"), [({"Retry-After": "20"}, 20.0), ({}, None)])
    async def test_rate_limit(self, mocked: aioresponses, headers: dict[str, str], expected: float | None) -> None:
        body = {"error": {"message": "Rate limit reached for gpt-4o-mini", "code": "rate_limit_exceeded"}}
        mocked.post(API, status=429, payload=body, headers=headers)
        _, err = await collect_until_error()
        assert type(err) is ProviderRateLimitError and err.retry_after == expected
        assert err.reason == "api.openai.com is rate limiting requests (HTTP 429)"
        assert "Rate limit reached for gpt-4o-mini" in str(err)

    @pytest.mark.parametrize(
        ("body", "in_detail"),
        [
            ({"error": {"message": "The server had an error", "type": "server_error"}}, "The server had an error"),
            ({"error": "model 'llama9' not found"}, "model 'llama9' not found"),  # Ollama's shape
            ({"detail": "Not Found"}, "Not Found"),
        ],
    )
    async def test_http_error_with_json_message(self, mocked: aioresponses, body: Any, in_detail: str) -> None:
        mocked.post(API, status=500, payload=body)
        _, err = await collect_until_error()
        assert type(err) is ProviderHTTPError and err.status == 500
        assert err.reason == "api.openai.com returned HTTP 500"
        assert in_detail in str(err) and in_detail not in err.reason

    async def test_http_error_with_a_non_json_body(self, mocked: aioresponses) -> None:
        mocked.post(API, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
        _, err = await collect_until_error()
        assert type(err) is ProviderHTTPError and err.reason == "api.openai.com returned HTTP 502"
        assert "Bad Gateway" in str(err)

    async def test_timeout(self, mocked: aioresponses) -> None:
        mocked.post(API, exception=aiohttp.ServerTimeoutError("read"))
        _, err = await collect_until_error()
        assert type(err) is ProviderTimeoutError and err.reason == "api.openai.com timed out"

    async def test_connection_refused_mocked(self, mocked: aioresponses) -> None:
        key = SimpleNamespace(host="api.openai.com", port=443, ssl=True)
        mocked.post(API, exception=aiohttp.ClientConnectorError(key, OSError(111, "Connection refused")))
        _, err = await collect_until_error()
        assert type(err) is ProviderConnectionError and err.reason == "api.openai.com is unreachable"

    async def test_connection_refused_for_real(self) -> None:
        with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there now
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        local = OpenAICompatible.configure(f"http://127.0.0.1:{port}/v1", api_key=KEY)
        _, err = await collect_until_error(local)
        assert type(err) is ProviderConnectionError
        assert err.reason == f"127.0.0.1:{port} is unreachable"
        assert_no_key(str(err), repr(err))

    async def test_the_key_never_reaches_logs_or_errors(
        self, mocked: aioresponses, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.post(API, status=500, body=f"internal error for {KEY}", content_type="text/plain")
        # aiohttp's response errors carry the request headers, Authorization included, in their repr.
        headers = CIMultiDictProxy(CIMultiDict({"Authorization": f"Bearer {KEY}"}))
        mocked.post(
            API, exception=aiohttp.TooManyRedirects(aiohttp.RequestInfo(URL(API), "POST", headers, URL(API)), ())
        )
        mocked.post(API, body=sse(chunk("fine")), content_type=SSE)
        with caplog.at_level(logging.DEBUG):
            _, http_err = await collect_until_error()
            _, conn_err = await collect_until_error()
            assert await collect() == ["fine"]
        assert caplog.records and any(r.levelno == logging.DEBUG for r in caplog.records)
        assert_no_key(caplog.text, str(http_err), repr(http_err), str(conn_err), http_err.reason)
        assert "internal error for ***" in str(http_err)
