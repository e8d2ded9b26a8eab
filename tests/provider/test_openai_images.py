"""OpenAICompatible images: the request, b64_json and url answers, and the ways they go wrong (aioresponses)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from provider import (
    ImageResponse,
    ImageTooLargeError,
    OpenAICompatible,
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderResponseError,
)

KEY = "sk-images-SECRET-0123456789"
OpenAI = OpenAICompatible.configure("https://api.openai.com/v1", api_key=KEY)
API = "https://api.openai.com/v1/images/generations"
IMAGE_URL = "https://blob.test/img-1.png?sig=s3cr3t"
PROMPT = [{"role": "user", "content": "a red fox in the snow"}]


def b64(data: bytes) -> dict[str, Any]:
    return {"created": 1, "data": [{"b64_json": base64.b64encode(data).decode(), "revised_prompt": "a fox"}]}


def calls(m: aioresponses, method: str, url: str) -> list[Any]:
    return m.requests.get((method, URL(url)), [])


async def draw(provider: Any = OpenAI, model: str = "dall-e-3", **kwargs: Any) -> list[Any]:
    return [item async for item in provider.create_async_generator(model, PROMPT, **kwargs)]


async def draw_error(**kwargs: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await draw(**kwargs)
    return info.value


class TestImages:
    async def test_b64_json_becomes_a_data_uri_of_the_exact_bytes(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=b64(png_bytes))
        [item] = await draw()
        assert isinstance(item, ImageResponse) and item.alt == "a red fox in the snow"
        assert item.images == [f"data:image/png;base64,{base64.b64encode(png_bytes).decode()}"]
        [call] = calls(mocked, "POST", API)
        body = {"model": "dall-e-3", "prompt": "a red fox in the snow", "n": 1, "response_format": "b64_json"}
        assert json.loads(call.kwargs["data"]) == body
        assert call.kwargs["headers"] == {
            "accept": "application/json",
            "content-type": "application/json",
            "authorization": f"Bearer {KEY}",
        }

    async def test_mime_type_comes_from_the_bytes(self, mocked: aioresponses, jpeg_bytes: bytes) -> None:
        mocked.post(API, payload=b64(jpeg_bytes))
        assert await OpenAI.create_async("dall-e-3", PROMPT) == (
            f"data:image/jpeg;base64,{base64.b64encode(jpeg_bytes).decode()}"
        )

    async def test_gpt_image_models_get_no_response_format(self, mocked: aioresponses, png_bytes: bytes) -> None:
        provider = OpenAICompatible.configure("https://api.openai.com/v1", api_key=KEY, image_model="gpt-image-1")
        mocked.post(API, payload=b64(png_bytes))
        await draw(provider, "gpt-image-1")
        body = json.loads(calls(mocked, "POST", API)[0].kwargs["data"])
        assert body == {"model": "gpt-image-1", "prompt": "a red fox in the snow", "n": 1}

    async def test_url_answer_is_downloaded_without_the_key(self, mocked: aioresponses, webp_bytes: bytes) -> None:
        mocked.post(API, payload={"data": [{"url": IMAGE_URL}]})
        mocked.get(IMAGE_URL, body=webp_bytes, content_type="application/octet-stream")
        [item] = await draw(proxy="http://proxy.local:3128", timeout=30)
        assert item.images[0] == f"data:image/webp;base64,{base64.b64encode(webp_bytes).decode()}"
        [get] = calls(mocked, "GET", IMAGE_URL)
        assert get.kwargs["headers"] == {"accept": "image/*"}
        assert get.kwargs["proxy"] == "http://proxy.local:3128" and get.kwargs["timeout"].total == 30

    async def test_url_download_respects_the_cap(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload={"data": [{"url": IMAGE_URL}]})
        mocked.get(IMAGE_URL, body=png_bytes + bytes(5000))
        err = await draw_error(max_image_bytes=4096)
        assert type(err) is ImageTooLargeError and err.reason == "the image is larger than 4 KB"
        assert "s3cr3t" not in str(err)

    async def test_b64_over_the_cap(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=b64(png_bytes + bytes(3000)), repeat=True)
        err = await draw_error(max_image_bytes=2048)
        assert type(err) is ImageTooLargeError and err.limit == 2048
        err = await draw_error(max_image_bytes=len(png_bytes) + 2999)  # within the base64 slack, caught decoded
        assert type(err) is ImageTooLargeError and err.size == len(png_bytes) + 3000

    async def test_json_answer_over_the_cap_is_not_read_whole(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=b64(png_bytes + bytes(70_000)))  # aioresponses holds < 128 KB
        err = await draw_error(max_image_bytes=1024)  # 1 KB of image, so at most ~65 KB of JSON is read
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
    async def test_unusable_answers(self, mocked: aioresponses, payload: Any, reason: str) -> None:
        mocked.post(API, payload=payload)
        err = await draw_error()
        assert type(err) is ProviderResponseError and err.reason == reason
        assert [method for method, _ in mocked.requests] == ["POST"]

    async def test_non_json(self, mocked: aioresponses) -> None:
        mocked.post(API, body="<html>Sign in</html>", content_type="text/html")
        err = await draw_error()
        assert type(err) is ProviderResponseError
        assert err.reason == "api.openai.com returned a response that is not JSON"

    async def test_http_errors(self, mocked: aioresponses) -> None:
        mocked.post(API, status=401, payload={"error": {"message": f"Incorrect API key provided: {KEY}"}})
        mocked.post(API, status=400, payload={"error": {"message": "Your request was rejected by the safety system"}})
        auth = await draw_error()
        assert type(auth) is ProviderAuthError
        assert auth.reason.startswith("api.openai.com refused the API key (HTTP 401): ")
        assert KEY not in str(auth)
        refused = await draw_error()
        assert type(refused) is ProviderHTTPError and refused.reason.startswith("api.openai.com returned HTTP 400: ")
        assert "safety system" in str(refused)

    async def test_image_host_error(self, mocked: aioresponses) -> None:
        mocked.post(API, payload={"data": [{"url": IMAGE_URL}]})
        mocked.get(IMAGE_URL, status=403)
        err = await draw_error()
        assert isinstance(err, ProviderHTTPError) and err.reason == "the image host refused access (HTTP 403)"
        assert err.provider == "api.openai.com" and "s3cr3t" not in str(err)


class TestRouting:
    async def test_only_the_image_model_draws(self, mocked: aioresponses) -> None:
        chat = "https://api.openai.com/v1/chat/completions"
        mocked.post(
            chat, body='data: {"choices": [{"delta": {"content": "text"}}]}\n\n', content_type="text/event-stream"
        )
        assert await draw(model="dall-e-2") == ["text"]
        assert calls(mocked, "POST", API) == []

    async def test_a_chat_only_provider_never_draws(self, mocked: aioresponses) -> None:
        chat_only = OpenAICompatible.configure("http://127.0.0.1:11434/v1", model="llama3.2", image_model=None)
        mocked.post(
            "http://127.0.0.1:11434/v1/chat/completions",
            body='data: {"choices": [{"delta": {"content": "text"}}]}\n\n',
            content_type="text/event-stream",
        )
        assert await draw(chat_only, "dall-e-3") == ["text"]

    async def test_an_image_needs_a_prompt(self, mocked: aioresponses) -> None:
        with pytest.raises(ValueError):
            await OpenAI.create_async("dall-e-3", [{"role": "user", "content": "  "}])
        assert mocked.requests == {}
