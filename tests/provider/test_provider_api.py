"""The public contract: names, class attributes, value types, errors, prompt formatting, the base class."""

from __future__ import annotations

import base64
import email.utils
import inspect
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

import provider
from provider import (
    AiChats,
    AsyncGeneratorProvider,
    ImageData,
    ImageResponse,
    ImageTooLargeError,
    Messages,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
    format_prompt,
)
from provider.http import parse_retry_after


def test_public_names() -> None:
    assert set(provider.__all__) == {
        "AiChats", "AsyncGeneratorProvider", "ImageResponse", "ImageTooLargeError", "Messages",
        "OpenAICompatible", "FallbackProvider", "AllProvidersFailedError", "CircuitOpenError", "ProviderStatus",
        "ProviderAuthError", "ProviderConnectionError", "ProviderError", "ProviderHTTPError",
        "ProviderRateLimitError", "ProviderResponseError", "ProviderTimeoutError", "format_prompt",
        "CapabilityStatus", "ProviderContextLengthError", "ImageData", "Usage",
    }  # fmt: skip
    assert Messages == list[dict[str, Any]]  # a content may be a string or a list of parts (provider.content)


def test_aichats_class_attributes() -> None:
    assert AiChats.url == "https://ai-chats.org"
    assert AiChats.api_endpoint == "https://ai-chats.org/chat/send2/"
    assert AiChats.working is True
    assert AiChats.supports_stream is True
    assert AiChats.supports_message_history is True
    assert AiChats.default_model == "gpt-4"
    assert AiChats.models == ["gpt-4", "dalle"]
    assert AiChats.image_model == "dalle"
    assert AiChats.label == "ai-chats.org"
    assert issubclass(AiChats, AsyncGeneratorProvider)
    assert inspect.isasyncgenfunction(AiChats.create_async_generator)
    assert inspect.iscoroutinefunction(AiChats.create_async)
    params = inspect.signature(AiChats.create_async_generator).parameters
    assert list(params)[:3] == ["model", "messages", "proxy"] and params["proxy"].default is None
    for option in ("session", "timeout", "cookie", "max_image_bytes"):
        assert params[option].default is None


def test_base_class_defaults() -> None:
    assert AsyncGeneratorProvider.working is False
    assert AsyncGeneratorProvider.image_model is None
    assert AsyncGeneratorProvider.models == []
    with pytest.raises(NotImplementedError):
        AsyncGeneratorProvider.create_async_generator("m", [])


class TestFormatPrompt:
    def test_single_message_is_unchanged(self) -> None:
        assert format_prompt([{"role": "user", "content": "  Hi\nthere  "}]) == "  Hi\nthere  "

    def test_conversation(self) -> None:
        messages = [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "What is 2+2?"},
        ]
        assert format_prompt(messages) == (
            "System: You are terse.\nUser: Hi\nAssistant: Hello!\nUser: What is 2+2?\nAssistant:"
        )

    def test_empty_contents_are_skipped(self) -> None:
        messages = [{"role": "system", "content": ""}, {"role": "USER", "content": "Hi"}]
        assert format_prompt(messages) == "User: Hi\nAssistant:"

    def test_empty_list_is_a_value_error(self) -> None:
        with pytest.raises(ValueError):
            format_prompt([])


class TestImageResponse:
    def test_shape(self) -> None:
        image = ImageResponse(images=["data:image/png;base64,AAAA"], alt="fox")
        assert image.images == ["data:image/png;base64,AAAA"] and image.alt == "fox"
        with pytest.raises(AttributeError):
            image.alt = "cat"  # type: ignore[misc]
        assert image == ImageResponse(["data:image/png;base64,AAAA"], "fox") != ImageResponse([], "fox")

    def test_bytes_and_data_uris_are_two_views_built_once(self, png_bytes: bytes) -> None:
        from_bytes = ImageResponse(files=[ImageData(png_bytes, "image/png")], alt="fox")
        uri = "data:image/png;base64," + base64.b64encode(png_bytes).decode()
        assert from_bytes.images == [uri] and from_bytes.images is from_bytes.images
        from_uri = ImageResponse([uri, "https://img.test/x.png"], "fox")
        assert from_uri.files == [ImageData(png_bytes, "image/png")]  # an http URL has no bytes here
        assert from_uri.files is from_uri.files
        assert "bytes image/png" in repr(from_bytes) and len(repr(from_bytes)) < 100

    def test_invalid_base64_in_a_data_uri(self) -> None:
        with pytest.raises(ValueError):
            _ = ImageResponse(["data:image/png;base64,@@@@"], "fox").files

    def test_a_single_uri_becomes_a_list(self) -> None:
        assert ImageResponse("data:image/png;base64,AAAA", "fox").images == ["data:image/png;base64,AAAA"]  # type: ignore[arg-type]

    def test_repr_stays_short(self) -> None:
        image = ImageResponse(images=["data:image/png;base64," + "A" * 100_000], alt="fox")
        assert len(repr(image)) < 100 and "fox" in repr(image)


class TestErrors:
    def test_hierarchy(self) -> None:
        for cls in (ProviderHTTPError, ProviderResponseError, ProviderTimeoutError, ProviderConnectionError,
                    ImageTooLargeError):  # fmt: skip
            assert issubclass(cls, ProviderError)
        assert issubclass(ProviderAuthError, ProviderHTTPError)
        assert issubclass(ProviderRateLimitError, ProviderHTTPError)

    def test_fields(self) -> None:
        err = ProviderHTTPError(500, "https://ai-chats.org/chat/send2/", provider="ai-chats.org")
        assert (err.status, err.url, err.provider) == (500, "https://ai-chats.org/chat/send2/", "ai-chats.org")
        assert err.reason == "ai-chats.org returned HTTP 500"
        assert "https://ai-chats.org/chat/send2/" in str(err)
        limited = ProviderRateLimitError(429, "https://x.test/", retry_after=3.0)
        assert limited.retry_after == 3.0 and limited.provider is None
        plain = ProviderError("something broke")
        assert plain.reason == str(plain) == "something broke" and plain.provider is None

    @pytest.mark.parametrize(
        ("limit", "text"),
        [(20 * 1024 * 1024, "20 MB"), (5 * 1024 * 1024 // 2, "2.5 MB"), (64 * 1024, "64 KB"), (500, "500 bytes")],
    )
    def test_image_too_large_reason(self, limit: int, text: str) -> None:
        err = ImageTooLargeError(limit)
        assert err.reason == f"the image is larger than {text}" and err.limit == limit


class TestRetryAfter:
    @pytest.mark.parametrize(("value", "expected"), [("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), (None, None),
                                                     ("", None), ("soon", None), ("nan", None)])  # fmt: skip
    def test_values(self, value: str | None, expected: float | None) -> None:
        assert parse_retry_after(value) == expected

    def test_http_date(self) -> None:
        seconds = parse_retry_after(email.utils.formatdate(time.time() + 120, usegmt=True))
        assert seconds is not None and 100 < seconds <= 121


class _Toy(AsyncGeneratorProvider):
    """A provider whose stream is scripted, to test the generic ``create_async``."""

    url = "https://toy.example"
    script: ClassVar[list[Any]] = []
    closed: ClassVar[list[bool]] = []

    @classmethod
    async def create_async_generator(
        cls, model: str, messages: Messages, proxy: str | None = None, **kwargs: Any
    ) -> AsyncIterator[str | ImageResponse]:
        try:
            for item in cls.script:
                yield item
        finally:
            cls.closed.append(True)


class TestGenericCreateAsync:
    async def test_joins_text(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_Toy, "script", ["Hel", "lo"])
        assert await _Toy.create_async("m", []) == "Hello"

    async def test_returns_the_first_image_and_closes_the_stream(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_Toy, "closed", [])
        monkeypatch.setattr(_Toy, "script", [ImageResponse(["data:a", "data:b"], "x"), "never reached"])
        assert await _Toy.create_async("m", []) == "data:a"
        assert _Toy.closed == [True]

    @pytest.mark.parametrize("script", [[], [""], [ImageResponse([], "x")]])
    async def test_nothing_is_an_error(self, monkeypatch: pytest.MonkeyPatch, script: list[Any]) -> None:
        monkeypatch.setattr(_Toy, "script", script)
        with pytest.raises(ProviderResponseError) as info:
            await _Toy.create_async("m", [])
        assert info.value.provider == "toy.example"

    def test_label_follows_the_url(self) -> None:
        assert _Toy.label == "toy.example"

        class Named(_Toy):
            label = "Toy Deluxe"

        assert Named.label == "Toy Deluxe"
