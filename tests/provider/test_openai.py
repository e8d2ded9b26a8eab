"""OpenAICompatible chat: configuration, the request on the wire, stream parsing and every error (a stub server)."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest

from provider import (
    AsyncGeneratorProvider,
    OpenAICompatible,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderContextLengthError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
    Usage,
)
from tests.helpers import free_port
from tests.provider.stub import StubServer

KEY = "sk-test-0123456789abcdefSECRET"
OpenAI = OpenAICompatible.configure("https://api.openai.com/v1", api_key=KEY)
API = "/v1/chat/completions"
HI = [{"role": "user", "content": "Hi"}]
SSE = "text/event-stream"


@pytest.fixture
def oa(stub: StubServer) -> type[OpenAICompatible]:
    """The provider aimed at the stub, still named as OpenAI is in errors."""
    return OpenAICompatible.configure(stub.url("/v1"), api_key=KEY, label="api.openai.com")


def chunk(content: str | None = None, **delta: Any) -> dict[str, Any]:
    if content is not None:
        delta["content"] = content
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def sse(*events: Any) -> str:
    return "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events)


async def collect(provider: Any, messages: list[dict[str, str]] = HI, **kwargs: Any) -> list[Any]:
    return [item async for item in provider.create_async_generator("gpt-4o-mini", messages, **kwargs)]


async def collect_until_error(provider: Any, **kwargs: Any) -> tuple[list[Any], ProviderError]:
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
    async def test_exact_body_keeps_roles_and_system(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body=sse(chunk("ok"), "[DONE]"), content_type=SSE)
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Привет 👋"},
        ]
        assert await collect(oa, messages=messages) == ["ok"]
        [call] = stub.requests_to(API)
        assert call.body == json.dumps({
            "model": "gpt-4o-mini", "messages": messages, "stream": True, "stream_options": {"include_usage": True},
        }).encode()
        assert call.url == API  # straight to the server: no proxy by default
        sent = {name.lower(): value for name, value in call.headers.items()}
        assert sent["accept"] == "text/event-stream" and sent["content-type"] == "application/json"
        assert sent["authorization"] == f"Bearer {KEY}"
        assert "cookie" not in sent

    async def test_no_key_no_authorization_header(self, stub: StubServer) -> None:
        keyless = OpenAICompatible.configure(stub.url("/v1"), model="llama3.2")
        stub.post(API, body=sse(chunk("ok")), content_type=SSE)
        assert await collect(keyless) == ["ok"]
        [call] = stub.requests_to(API)
        assert "authorization" not in {name.lower() for name in call.headers}

    async def test_proxy_is_used_per_request(self, stub: StubServer) -> None:
        """Through ``proxy=`` the request goes to the proxy (the stub) naming the real server's URL."""
        remote = OpenAICompatible.configure("http://api.openai.test/v1", api_key=KEY)
        stub.post(API, body=sse(chunk("ok")), content_type=SSE)
        assert await collect(remote, proxy=stub.url(), temperature=0.1, cookie="x") == ["ok"]
        [call] = stub.requests_to(API)
        assert call.url == "http://api.openai.test/v1/chat/completions"
        assert call.headers["Host"] == "api.openai.test"

    async def test_timeout_is_applied_per_request(
        self, stub: StubServer, oa: Any, client_session: aiohttp.ClientSession
    ) -> None:
        """The caller's session allows 300 s; ``timeout=0.2`` on the call still cuts a slow server short."""
        stub.post(API, body=sse(chunk("late")), content_type=SSE, delay=5)
        _, err = await collect_until_error(oa, session=client_session, timeout=0.2)
        assert type(err) is ProviderTimeoutError and err.reason == "api.openai.com timed out"
        assert not client_session.closed

    async def test_empty_messages_are_refused_before_any_request(self, stub: StubServer, oa: Any) -> None:
        with pytest.raises(ValueError):
            await collect(oa, messages=[])
        assert stub.received == []


class TestAnswer:
    @pytest.mark.parametrize(
        ("body", "chunks"),
        [
            (sse(chunk("", role="assistant"), chunk("Hel"), chunk("lo"), chunk(None), "[DONE]"), ["Hel", "lo"]),
            (sse(chunk("Hi"), {"choices": [], "usage": {"total_tokens": 3}}, "[DONE]", chunk("late")),
             ["Hi", Usage(0, 0, 3)]),
            (sse(chunk("a"), {"choices": [{"delta": {"content": None}, "finish_reason": "stop"}]}), ["a"]),
            (sse(chunk("think", role="x")) + ": keep-alive\n\n" + sse(chunk(" more")), ["think", " more"]),
            (sse(chunk("\n\nHi "), chunk(" there \n")), ["Hi ", " there"]),
            (sse(chunk("Привет"), chunk(", мир 🇺🇦")).replace("\n", "\r\n"), ["Привет", ", мир 🇺🇦"]),
            # LiteLLM: the role comes with the first text, which must not be dropped.
            (sse(chunk("Her", role="assistant"), chunk("e i"), chunk("s."), "[DONE]"), ["Her", "e i", "s."]),
        ],
    )
    async def test_stream_is_parsed(self, stub: StubServer, oa: Any, body: str, chunks: list[object]) -> None:
        stub.post(API, body=body.encode(), content_type=SSE)
        assert await collect(oa) == chunks

    async def test_create_async_joins_the_answer(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body=sse(chunk("The answer"), chunk(" is 4."), "[DONE]"), content_type=SSE)
        assert await oa.create_async("gpt-4o-mini", HI) == "The answer is 4."

    async def test_a_server_that_ignores_stream_true(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, payload={"object": "chat.completion", "choices": [{"message": {"content": "whole"}}]})
        assert await collect(oa) == ["whole"]

    @pytest.mark.parametrize(
        "body", ["", sse("[DONE]"), sse(chunk("", role="assistant"), "[DONE]"), sse(chunk("  \n")), "data: {}\n\n"]
    )
    async def test_empty_answer_is_an_error(self, stub: StubServer, oa: Any, body: str) -> None:
        stub.post(API, body=body, content_type=SSE)
        items, err = await collect_until_error(oa)
        assert items == [] and type(err) is ProviderResponseError
        assert err.reason == "api.openai.com returned an empty answer"

    async def test_error_object_in_the_stream(self, stub: StubServer, oa: Any) -> None:
        error = {"error": {"message": f"Upstream failed for key {KEY}", "type": "server_error"}}
        stub.post(API, body=sse(error, "[DONE]"), content_type=SSE)
        items, err = await collect_until_error(oa)
        assert items == [] and type(err) is ProviderResponseError and err.transient
        assert err.reason == "api.openai.com reported an error: Upstream failed for key ***"
        assert "Upstream failed for key ***" in str(err)
        assert_no_key(str(err), err.reason)

    async def test_malformed_chunk(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body=sse(chunk("ok"), "{not json"), content_type=SSE)
        items, err = await collect_until_error(oa)
        assert items == ["ok"] and type(err) is ProviderResponseError
        assert err.reason == "api.openai.com sent a malformed answer"

    async def test_web_page_instead_of_an_answer(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body="<html>Sign in</html>", content_type="text/html")
        _, err = await collect_until_error(oa)
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
    async def test_auth_error(
        self, stub: StubServer, oa: Any, status: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        stub.post(API, status=status, payload=OPENAI_401)
        with caplog.at_level(logging.DEBUG):
            items, err = await collect_until_error(oa)
        assert items == [] and type(err) is ProviderAuthError and not err.transient
        assert err.status == status and err.provider == "api.openai.com"
        assert err.reason == (
            f"api.openai.com refused the API key (HTTP {status}): Incorrect API key provided: ***. "
            "You can find your API key at https://platform.openai.com."
        )
        assert "Incorrect API key provided: ***." in str(err) and API in str(err)
        assert_no_key(err.reason, str(err), repr(err), caplog.text)
        assert "Incorrect API key provided: ***." in caplog.text  # the server's message is logged, redacted

    async def test_auth_error_without_a_key(self, stub: StubServer) -> None:
        keyless = OpenAICompatible.configure(stub.url("/v1"), label="api.openai.com")
        stub.post(API, status=401, payload={"error": {"message": "You didn't provide an API key."}})
        _, err = await collect_until_error(keyless)
        assert err.reason == (
            "api.openai.com refused access without an API key (HTTP 401): You didn't provide an API key."
        )

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [({"Retry-After": "20"}, 20.0), ({"llm_provider-retry-after": "7"}, 7.0), ({}, None)],
    )
    async def test_rate_limit(
        self, stub: StubServer, oa: Any, headers: dict[str, str], expected: float | None
    ) -> None:
        body = {"error": {"message": "Rate limit reached for gpt-4o-mini", "code": "rate_limit_exceeded"}}
        stub.post(API, status=429, payload=body, headers=headers)
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderRateLimitError and err.retry_after == expected and err.transient
        assert err.reason == "api.openai.com is rate limiting requests (HTTP 429): Rate limit reached for gpt-4o-mini"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"error": {"message": "The server had an error", "type": "server_error"}}, "The server had an error"),
            ({"error": "model 'llama9' not found"}, "model 'llama9' not found"),  # Ollama's shape
            ({"detail": "Not Found"}, "Not Found"),
        ],
    )
    async def test_http_error_with_json_message(self, stub: StubServer, oa: Any, body: Any, message: str) -> None:
        stub.post(API, status=500, payload=body)
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderHTTPError and err.status == 500 and err.transient
        assert err.reason == f"api.openai.com returned HTTP 500: {message}"

    async def test_a_long_message_is_shortened_in_the_reason(self, stub: StubServer, oa: Any) -> None:
        message = "word " * 100
        stub.post(API, status=400, payload={"error": {"message": message}})
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderHTTPError and not err.transient
        assert err.reason.startswith("api.openai.com returned HTTP 400: word word") and err.reason.endswith("…")
        assert len(err.reason) < 250 and message.strip() in str(err)  # the detail keeps it whole

    async def test_http_error_with_a_web_page(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderHTTPError and err.reason == "api.openai.com returned HTTP 502"

    @pytest.mark.parametrize(
        "error",
        [
            {"message": "This model's maximum context length is 8192 tokens. However, your messages resulted "
             "in 9000 tokens.", "type": "invalid_request_error", "param": "messages",
             "code": "context_length_exceeded"},
            {"message": "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: "
             "OpenAIException - input too long", "type": None, "param": None, "code": "400"},
        ],
    )  # fmt: skip
    async def test_context_length(self, stub: StubServer, oa: Any, error: dict[str, Any]) -> None:
        stub.post(API, status=400, payload={"error": error})
        _, err = await collect_until_error(oa)
        assert isinstance(err, ProviderContextLengthError) and err.status == 400 and not err.transient
        assert err.reason.startswith("api.openai.com returned HTTP 400: ")

    async def test_other_400s_are_not_context_errors(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, status=400, payload={"error": {"message": "Invalid model name passed in model=x"}})
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderHTTPError

    async def test_timeout(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body=sse(chunk("late")), content_type=SSE, delay=5)
        _, err = await collect_until_error(oa, timeout=0.2)
        assert type(err) is ProviderTimeoutError and err.reason == "api.openai.com timed out" and err.transient

    async def test_connection_reset(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, reset=True)
        _, err = await collect_until_error(oa)
        assert type(err) is ProviderConnectionError and err.transient

    async def test_connection_refused_for_real(self) -> None:
        port = free_port()
        local = OpenAICompatible.configure(f"http://127.0.0.1:{port}/v1", api_key=KEY)
        _, err = await collect_until_error(local)
        assert type(err) is ProviderConnectionError
        assert err.reason == f"127.0.0.1:{port} is unreachable"
        assert_no_key(str(err), repr(err))

    async def test_the_key_never_reaches_logs_or_errors(
        self, stub: StubServer, oa: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        stub.post(API, status=500, body=f"internal error for {KEY}", content_type="text/plain")
        # Redirected in a loop: aiohttp's TooManyRedirects carries the request headers (Authorization) in
        # its repr, which must not reach a log line.
        stub.post(API, status=307, headers={"Location": stub.url(API)}, times=11)
        stub.post(API, body=sse(chunk("fine")), content_type=SSE)
        with caplog.at_level(logging.DEBUG):
            _, http_err = await collect_until_error(oa)
            _, conn_err = await collect_until_error(oa)
            assert await collect(oa) == ["fine"]
        assert "TooManyRedirects" in caplog.text and len(stub.requests_to(API)) == 1 + 11 + 1
        assert caplog.records and any(r.levelno == logging.DEBUG for r in caplog.records)
        assert_no_key(caplog.text, str(http_err), repr(http_err), str(conn_err), http_err.reason)
        assert http_err.reason == "api.openai.com returned HTTP 500: internal error for ***"
