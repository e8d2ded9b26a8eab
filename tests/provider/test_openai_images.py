"""OpenAICompatible images: the request, b64_json and url answers, and the ways they go wrong (a stub server)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from provider import (
    ImageData,
    ImageResponse,
    ImageTooLargeError,
    OpenAICompatible,
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from tests.provider.stub import StubServer

KEY = "sk-images-SECRET-0123456789"
API = "/v1/images/generations"
IMAGE_PATH = "/img-1.png"
PROMPT = [{"role": "user", "content": "a red fox in the snow"}]


@pytest.fixture
def oa(stub: StubServer) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(stub.url("/v1"), api_key=KEY, label="api.openai.com")


def image_url(stub: StubServer) -> str:
    return stub.url(f"{IMAGE_PATH}?sig=s3cr3t")


def b64(data: bytes) -> dict[str, Any]:
    return {"created": 1, "data": [{"b64_json": base64.b64encode(data).decode(), "revised_prompt": "a fox"}]}


async def draw(provider: Any, model: str = "dall-e-3", **kwargs: Any) -> list[Any]:
    return [item async for item in provider.create_async_generator(model, PROMPT, **kwargs)]


async def draw_error(provider: Any, **kwargs: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await draw(provider, **kwargs)
    return info.value


class TestImages:
    async def test_b64_json_becomes_the_exact_bytes(self, stub: StubServer, oa: Any, png_bytes: bytes) -> None:
        stub.post(API, payload=b64(png_bytes))
        [item] = await draw(oa)
        assert isinstance(item, ImageResponse) and item.alt == "a red fox in the snow"
        assert item.files == [ImageData(png_bytes, "image/png")]
        assert item.images == [f"data:image/png;base64,{base64.b64encode(png_bytes).decode()}"]
        [call] = stub.requests_to(API)
        body = {"model": "dall-e-3", "prompt": "a red fox in the snow", "n": 1, "response_format": "b64_json"}
        assert call.body == json.dumps(body).encode()
        assert (call.headers["accept"], call.headers["content-type"]) == ("application/json", "application/json")
        assert call.headers["authorization"] == f"Bearer {KEY}"

    async def test_mime_type_comes_from_the_bytes(self, stub: StubServer, oa: Any, jpeg_bytes: bytes) -> None:
        stub.post(API, payload=b64(jpeg_bytes))
        assert await oa.create_async("dall-e-3", PROMPT) == (
            f"data:image/jpeg;base64,{base64.b64encode(jpeg_bytes).decode()}"
        )

    async def test_gpt_image_models_get_no_response_format(self, stub: StubServer, png_bytes: bytes) -> None:
        provider = OpenAICompatible.configure(stub.url("/v1"), api_key=KEY, image_model="gpt-image-1")
        stub.post(API, payload=b64(png_bytes))
        await draw(provider, "gpt-image-1")
        body = stub.requests_to(API)[0].json()
        assert body == {"model": "gpt-image-1", "prompt": "a red fox in the snow", "n": 1}

    async def test_url_answer_is_downloaded_without_the_key(self, stub: StubServer, webp_bytes: bytes) -> None:
        """Both requests go through ``proxy=`` (the stub, here a proxy for hosts that do not exist)."""
        remote = OpenAICompatible.configure("http://api.openai.test/v1", api_key=KEY)
        stub.post(API, payload={"data": [{"url": "http://blob.test/img-1.png?sig=s3cr3t"}]})
        stub.get(IMAGE_PATH, body=webp_bytes, content_type="application/octet-stream")
        [item] = await draw(remote, proxy=stub.url(), timeout=30)
        assert item.images[0] == f"data:image/webp;base64,{base64.b64encode(webp_bytes).decode()}"
        assert item.files == [ImageData(webp_bytes, "image/webp")]
        [get] = stub.requests_to(IMAGE_PATH, "GET")
        assert get.url == "http://blob.test/img-1.png?sig=s3cr3t" and get.headers["accept"] == "image/*"
        assert "authorization" not in get.headers and "cookie" not in get.headers

    async def test_the_timeout_applies_to_the_download(self, stub: StubServer, oa: Any, png_bytes: bytes) -> None:
        stub.post(API, payload={"data": [{"url": image_url(stub)}]})
        stub.get(IMAGE_PATH, body=png_bytes, delay=5)
        err = await draw_error(oa, timeout=0.3)
        assert type(err) is ProviderTimeoutError and err.reason == "the image host timed out"

    async def test_url_download_respects_the_cap(self, stub: StubServer, oa: Any, png_bytes: bytes) -> None:
        stub.post(API, payload={"data": [{"url": image_url(stub)}]})
        stub.get(IMAGE_PATH, body=png_bytes + bytes(5000))
        err = await draw_error(oa, max_image_bytes=4096)
        assert type(err) is ImageTooLargeError and err.reason == "the image is larger than 4 KB"
        assert "s3cr3t" not in str(err)

    async def test_b64_over_the_cap(self, stub: StubServer, oa: Any, png_bytes: bytes) -> None:
        stub.post(API, payload=b64(png_bytes + bytes(3000)), times=2)
        err = await draw_error(oa, max_image_bytes=2048)
        assert type(err) is ImageTooLargeError and err.limit == 2048
        err = await draw_error(oa, max_image_bytes=len(png_bytes) + 2999)  # within the base64 slack, caught decoded
        assert type(err) is ImageTooLargeError and err.size == len(png_bytes) + 3000

    async def test_json_answer_over_the_cap_is_not_read_whole(
        self, stub: StubServer, oa: Any, png_bytes: bytes
    ) -> None:
        stub.post(API, payload=b64(png_bytes + bytes(70_000)))
        err = await draw_error(oa, max_image_bytes=1024)  # 1 KB of image, so at most ~65 KB of JSON is read
        assert type(err) is ImageTooLargeError and err.reason == "the image is larger than 1 KB"


class TestBadImageAnswers:
    @pytest.mark.parametrize(
        ("payload", "reason"),
        [
            ({"data": [{"b64_json": "not base64!!"}]}, "api.openai.com returned image data that is not base64"),
            ({"data": [{"b64_json": base64.b64encode(b"<html>").decode()}]}, "the generated file is not an image"),
            ({"data": []}, "api.openai.com returned no image"),
            ({"data": [{"revised_prompt": "x"}]}, "api.openai.com returned no image"),
            ({"data": ["x"]}, "api.openai.com returned no image"),
            ({}, "api.openai.com returned no image"),
            ({"data": [{"url": "file:///etc/passwd"}]}, "the image URL is not an http(s) URL"),
        ],
    )
    async def test_unusable_answers(self, stub: StubServer, oa: Any, payload: Any, reason: str) -> None:
        stub.post(API, payload=payload)
        err = await draw_error(oa)
        assert type(err) is ProviderResponseError and err.reason == reason
        assert [r.method for r in stub.received] == ["POST"]

    async def test_non_json(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, body="<html>Sign in</html>", content_type="text/html")
        err = await draw_error(oa)
        assert type(err) is ProviderResponseError
        assert err.reason == "api.openai.com returned a response that is not JSON"

    async def test_http_errors(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, status=401, payload={"error": {"message": f"Incorrect API key provided: {KEY}"}})
        stub.post(API, status=400, payload={"error": {"message": "Your request was rejected by the safety system"}})
        auth = await draw_error(oa)
        assert type(auth) is ProviderAuthError
        assert auth.reason == "api.openai.com refused the API key (HTTP 401): Incorrect API key provided: ***"
        assert KEY not in str(auth)
        refused = await draw_error(oa)
        assert type(refused) is ProviderHTTPError and refused.reason.startswith("api.openai.com returned HTTP 400: ")
        assert "safety system" in str(refused)

    async def test_image_host_error(self, stub: StubServer, oa: Any) -> None:
        stub.post(API, payload={"data": [{"url": image_url(stub)}]})
        stub.get(IMAGE_PATH, status=403)
        err = await draw_error(oa)
        assert isinstance(err, ProviderHTTPError) and err.reason == "the image host refused access (HTTP 403)"
        assert err.provider == "api.openai.com" and "s3cr3t" not in str(err) and not err.transient


class TestRouting:
    async def test_only_the_image_model_draws(self, stub: StubServer, oa: Any) -> None:
        chat = "/v1/chat/completions"
        stub.post(
            chat, body='data: {"choices": [{"delta": {"content": "text"}}]}\n\n', content_type="text/event-stream"
        )
        assert await draw(oa, model="dall-e-2") == ["text"]
        assert stub.requests_to(API) == []

    async def test_a_chat_only_provider_never_draws(self, stub: StubServer) -> None:
        chat_only = OpenAICompatible.configure(stub.url("/v1"), model="llama3.2", image_model=None)
        stub.post(
            "/v1/chat/completions",
            body='data: {"choices": [{"delta": {"content": "text"}}]}\n\n',
            content_type="text/event-stream",
        )
        assert await draw(chat_only, "dall-e-3") == ["text"]

    async def test_an_image_needs_a_prompt(self, stub: StubServer, oa: Any) -> None:
        with pytest.raises(ValueError):
            await oa.create_async("dall-e-3", [{"role": "user", "content": "  "}])
        assert stub.received == []
