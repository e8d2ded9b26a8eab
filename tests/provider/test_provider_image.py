"""AiChats dalle: the image request, the download from another host, MIME sniffing and the size cap."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from provider import (
    AiChats,
    ImageResponse,
    ImageTooLargeError,
    ProviderError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from provider.image import image_data_uri, sniff_image_mime

API = "https://ai-chats.org/chat/send2/"
IMAGE_URL = "https://cdn.images.test/generated/fox.png?signature=s3cr3t"
PROMPT = [{"role": "user", "content": "a red fox in the snow"}]
MB = 1024 * 1024


def calls(m: aioresponses, method: str, url: str) -> list[Any]:
    return m.requests.get((method, URL(url)), [])


def answer(url: str = IMAGE_URL) -> dict[str, Any]:
    return {"data": [{"url": url}]}


async def dalle(messages: list[dict[str, str]] = PROMPT, **kwargs: Any) -> list[Any]:
    return [item async for item in AiChats.create_async_generator("dalle", messages, **kwargs)]


async def dalle_error(**kwargs: Any) -> ProviderError:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in AiChats.create_async_generator("dalle", PROMPT, **kwargs):
            items.append(item)
    assert items == []
    return info.value


class TestImage:
    @pytest.mark.parametrize(("fixture", "mime"), [("png_bytes", "image/png"), ("jpeg_bytes", "image/jpeg")])
    async def test_image_becomes_a_data_uri(
        self, mocked: aioresponses, request: pytest.FixtureRequest, fixture: str, mime: str
    ) -> None:
        data: bytes = request.getfixturevalue(fixture)
        mocked.post(API, payload=answer())
        # The server's Content-Type is deliberately wrong: the MIME type must come from the bytes.
        mocked.get(IMAGE_URL, body=data, content_type="application/octet-stream")
        [item] = await dalle()
        assert isinstance(item, ImageResponse)
        assert item.alt == "a red fox in the snow"
        assert isinstance(item.images, list) and len(item.images) == 1
        prefix = f"data:{mime};base64,"
        assert item.images[0].startswith(prefix)
        assert base64.b64decode(item.images[0][len(prefix) :], validate=True) == data

    async def test_create_async_returns_the_first_data_uri(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes)
        uri = await AiChats.create_async("dalle", PROMPT)
        assert uri == "data:image/png;base64," + base64.b64encode(png_bytes).decode()

    async def test_requests_on_the_wire(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes)
        messages = [
            {"role": "system", "content": "be creative"},
            {"role": "user", "content": "a cat"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "Лиса 🦊"},
        ]
        [item] = await dalle(messages, cookie="sid=secret", proxy="http://proxy.local:3128", timeout=30)
        assert item.alt == "Лиса 🦊"
        [post] = calls(mocked, "POST", API)
        assert post.kwargs["data"] == (
            b'{"type": "image", "messagesHistory": [{"from": "you", "content": "\\u041b\\u0438\\u0441\\u0430 '
            b'\\ud83e\\udd8a"}]}'
        )
        assert post.kwargs["headers"]["referer"] == "https://ai-chats.org/image/"
        assert post.kwargs["headers"]["cookie"] == "sid=secret"
        [get] = calls(mocked, "GET", IMAGE_URL)
        sent = {key.lower() for key in get.kwargs["headers"]}
        assert sent.isdisjoint({"cookie", "content-type", "origin", "referer", "sec-fetch-site", "sec-fetch-mode"})
        assert "user-agent" in sent
        for call in (post, get):
            assert call.kwargs["proxy"] == "http://proxy.local:3128"
            assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=30.0, connect=10.0)

    async def test_empty_messages_give_an_empty_prompt(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes)
        [item] = await dalle([])
        assert item.alt == ""
        body = calls(mocked, "POST", API)[0].kwargs["data"]
        assert json.loads(body) == {"type": "image", "messagesHistory": [{"from": "you", "content": ""}]}


class TestBadAnswers:
    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"<html>nope</html>", "ai-chats.org returned a response that is not JSON"),
            (b"", "ai-chats.org returned a response that is not JSON"),
            (b"{}", "ai-chats.org returned no image"),
            (b'{"data": null}', "ai-chats.org returned no image"),
            (b'{"data": []}', "ai-chats.org returned no image"),
            (b'{"data": [{}]}', "ai-chats.org returned no image"),
            (b'{"data": [{"url": ""}]}', "ai-chats.org returned no image"),
            (b'{"data": ["https://x.test/a.png"]}', "ai-chats.org returned no image"),
            (b"[1, 2]", "ai-chats.org returned no image"),
        ],
    )
    async def test_unusable_json(self, mocked: aioresponses, body: bytes, reason: str) -> None:
        mocked.post(API, body=body)
        err = await dalle_error()
        assert type(err) is ProviderResponseError
        assert err.reason == reason

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://cdn.test/a.png",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "/relative/a.png",
            "data:image/png;base64,iVBO",
        ],
    )
    async def test_non_http_url_is_refused_without_fetching(self, mocked: aioresponses, url: str) -> None:
        mocked.post(API, payload=answer(url))
        err = await dalle_error()
        assert type(err) is ProviderResponseError
        assert err.reason == "ai-chats.org returned an image URL that is not http(s)"
        assert [method for method, _ in mocked.requests] == ["POST"]

    async def test_bytes_that_are_no_image(self, mocked: aioresponses) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=b"<html><body>Access denied</body></html>", content_type="image/png")
        err = await dalle_error()
        assert type(err) is ProviderResponseError
        assert err.reason == "the generated file is not an image"

    async def test_api_http_error(self, mocked: aioresponses) -> None:
        mocked.post(API, status=500)
        err = await dalle_error()
        assert type(err) is ProviderHTTPError and err.status == 500
        assert [method for method, _ in mocked.requests] == ["POST"]

    async def test_image_host_http_error_hides_the_signature(self, mocked: aioresponses) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, status=404)
        err = await dalle_error()
        assert type(err) is ProviderHTTPError
        assert (err.status, err.reason, err.provider) == (404, "the image host returned HTTP 404", "ai-chats.org")
        assert err.url == "https://cdn.images.test/generated/fox.png"
        assert "s3cr3t" not in str(err)

    async def test_image_host_timeout(self, mocked: aioresponses) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, exception=aiohttp.SocketTimeoutError("read"))
        err = await dalle_error()
        assert type(err) is ProviderTimeoutError
        assert err.reason == "the image host timed out"


class TestSizeCap:
    async def test_declared_size_over_the_default_cap(self, mocked: aioresponses, png_bytes: bytes) -> None:
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes, headers={"Content-Length": str(20 * MB + 1)})
        err = await dalle_error()
        assert type(err) is ImageTooLargeError
        assert err.reason == "the image is larger than 20 MB"
        assert (err.limit, err.size) == (20 * MB, 20 * MB + 1)

    async def test_undeclared_size_over_the_cap(self, mocked: aioresponses, png_bytes: bytes) -> None:
        # aioresponses cannot hold more than 128 KB of body; the 20 MB default is covered in test_provider_live.
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes + bytes(100 * 1024))
        err = await dalle_error(max_image_bytes=64 * 1024)
        assert type(err) is ImageTooLargeError
        assert err.reason == "the image is larger than 64 KB"
        assert (err.limit, err.size) == (64 * 1024, None)

    async def test_configurable_cap_and_exact_fit(self, mocked: aioresponses, png_bytes: bytes) -> None:
        size = len(png_bytes)
        mocked.post(API, payload=answer(), repeat=True)
        mocked.get(IMAGE_URL, body=png_bytes, repeat=True)
        [item] = await dalle(max_image_bytes=size)
        assert item.images[0].startswith("data:image/png;base64,")
        err = await dalle_error(max_image_bytes=size - 1)
        assert type(err) is ImageTooLargeError and err.limit == size - 1

    @pytest.mark.parametrize("bad", [0, -5, 1.5, "big"])
    async def test_bad_cap_is_refused(self, mocked: aioresponses, bad: object) -> None:
        with pytest.raises(ValueError):
            await dalle(max_image_bytes=bad)
        assert mocked.requests == {}

    async def test_cap_stops_reading(
        self, mocked: aioresponses, png_bytes: bytes, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Only about ``cap`` bytes are consumed from a body many times larger."""
        consumed: dict[int, int] = {}  # bytes read, per response body
        real_read = aiohttp.StreamReader.read

        async def counting_read(self: aiohttp.StreamReader, n: int = -1) -> bytes:
            chunk = await real_read(self, n)
            consumed[id(self)] = consumed.get(id(self), 0) + len(chunk)
            return chunk

        monkeypatch.setattr(aiohttp.StreamReader, "read", counting_read)
        mocked.post(API, payload=answer())
        mocked.get(IMAGE_URL, body=png_bytes + bytes(120_000))
        err = await dalle_error(max_image_bytes=10_000)
        assert type(err) is ImageTooLargeError and err.reason == "the image is larger than 9.8 KB"
        api_json, image = consumed.values()
        assert api_json == len(json.dumps(answer())) and image == 10_001


@pytest.mark.parametrize(
    ("fixture", "mime"),
    [
        ("png_bytes", "image/png"),
        ("jpeg_bytes", "image/jpeg"),
        ("webp_bytes", "image/webp"),
        ("gif_bytes", "image/gif"),
    ],
)
def test_sniffing_real_images(request: pytest.FixtureRequest, fixture: str, mime: str) -> None:
    data: bytes = request.getfixturevalue(fixture)
    assert sniff_image_mime(data) == mime
    assert image_data_uri(data) == f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"GIF90a", b"<svg xmlns='x'/>", b"%PDF-1.7", b"\xff\xd8"],
)
def test_sniffing_refuses_non_images(data: bytes) -> None:
    assert sniff_image_mime(data) is None
    with pytest.raises(ProviderResponseError):
        image_data_uri(data)
