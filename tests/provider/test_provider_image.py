"""AiChats dalle: the image request, the download from another host, MIME sniffing and the size cap.

Both hosts are the scripted stub (tests/provider/stub.py), over a real socket: ai-chats.org at ``/chat/send2/``
and the image host at ``/generated/fox.png``; hosts that do not exist here are reached through it as a proxy.
"""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

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
from tests.provider.stub import AICHATS_PATH as PATH
from tests.provider.stub import StubServer
from tests.provider.stub import aichats_at as local

IMAGE_PATH = "/generated/fox.png"
PROMPT = [{"role": "user", "content": "a red fox in the snow"}]
MB = 1024 * 1024


def image_url(stub: StubServer) -> str:
    return stub.url(IMAGE_PATH + "?signature=s3cr3t")


def answer(url: str) -> dict[str, Any]:
    return {"data": [{"url": url}]}


def script(stub: StubServer, image: bytes | None = None, **image_options: Any) -> None:
    """The API names the stub's image URL; the image host answers ``image`` (or ``image_options``)."""
    stub.post(PATH, payload=answer(image_url(stub)))
    if image is not None or image_options:
        stub.get(IMAGE_PATH, body=image or b"", **image_options)


def methods(stub: StubServer) -> list[str]:
    return [r.method for r in stub.received]


async def dalle(stub: StubServer, messages: list[dict[str, str]] = PROMPT, **kwargs: Any) -> list[Any]:
    return [item async for item in local(stub).create_async_generator("dalle", messages, **kwargs)]


async def dalle_error(stub: StubServer, **kwargs: Any) -> ProviderError:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in local(stub).create_async_generator("dalle", PROMPT, **kwargs):
            items.append(item)
    assert items == []
    return info.value


class TestImage:
    @pytest.mark.parametrize(("fixture", "mime"), [("png_bytes", "image/png"), ("jpeg_bytes", "image/jpeg")])
    async def test_image_becomes_a_data_uri(
        self, stub: StubServer, request: pytest.FixtureRequest, fixture: str, mime: str
    ) -> None:
        data: bytes = request.getfixturevalue(fixture)
        # The server's Content-Type is deliberately wrong: the MIME type must come from the bytes.
        script(stub, data, content_type="application/octet-stream")
        [item] = await dalle(stub)
        assert isinstance(item, ImageResponse)
        assert item.alt == "a red fox in the snow"
        assert isinstance(item.images, list) and len(item.images) == 1
        prefix = f"data:{mime};base64,"
        assert item.images[0].startswith(prefix)
        assert base64.b64decode(item.images[0][len(prefix) :], validate=True) == data

    async def test_create_async_returns_the_first_data_uri(self, stub: StubServer, png_bytes: bytes) -> None:
        script(stub, png_bytes)
        uri = await local(stub).create_async("dalle", PROMPT)
        assert uri == "data:image/png;base64," + base64.b64encode(png_bytes).decode()

    async def test_requests_on_the_wire(self, stub: StubServer, png_bytes: bytes) -> None:
        """Both requests go through ``proxy=`` (the stub), naming the real hosts."""
        remote = AiChats._subclass(api_endpoint="http://ai-chats.test/chat/send2/")
        stub.post(PATH, payload=answer("http://cdn.images.test/generated/fox.png?signature=s3cr3t"))
        stub.get(IMAGE_PATH, body=png_bytes)
        messages = [
            {"role": "system", "content": "be creative"},
            {"role": "user", "content": "a cat"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "Лиса 🦊"},
        ]
        stream = remote.create_async_generator("dalle", messages, cookie="sid=secret", proxy=stub.url(), timeout=30)
        [item] = [item async for item in stream]
        assert item.alt == "Лиса 🦊"
        post, get = stub.received
        assert post.body == (
            b'{"type": "image", "messagesHistory": [{"from": "you", "content": "\\u041b\\u0438\\u0441\\u0430 '
            b'\\ud83e\\udd8a"}]}'
        )
        assert post.headers["referer"] == "https://ai-chats.org/image/"
        assert post.headers["cookie"] == "sid=secret"
        assert (post.url, get.url) == (
            "http://ai-chats.test/chat/send2/",
            "http://cdn.images.test/generated/fox.png?signature=s3cr3t",
        )
        sent = {key.lower() for key in get.headers}
        assert sent.isdisjoint({"cookie", "content-type", "origin", "referer", "sec-fetch-site", "sec-fetch-mode"})
        assert "user-agent" in sent

    async def test_timeout_is_applied_to_the_download(self, stub: StubServer) -> None:
        """The call's ``timeout`` also covers the image host: a slow one is cut short."""
        script(stub, b"late", delay=5)
        err = await dalle_error(stub, timeout=aiohttp.ClientTimeout(total=300, sock_read=0.2))
        assert type(err) is ProviderTimeoutError
        assert err.reason == "the image host timed out"

    async def test_empty_messages_give_an_empty_prompt(self, stub: StubServer, png_bytes: bytes) -> None:
        script(stub, png_bytes)
        [item] = await dalle(stub, [])
        assert item.alt == ""
        assert stub.requests_to(PATH)[0].json() == {
            "type": "image",
            "messagesHistory": [{"from": "you", "content": ""}],
        }


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
    async def test_unusable_json(self, stub: StubServer, body: bytes, reason: str) -> None:
        stub.post(PATH, body=body)
        err = await dalle_error(stub)
        assert type(err) is ProviderResponseError
        assert err.reason == reason
        assert methods(stub) == ["POST"]

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
    async def test_non_http_url_is_refused_without_fetching(self, stub: StubServer, url: str) -> None:
        stub.post(PATH, payload=answer(url))
        err = await dalle_error(stub)
        assert type(err) is ProviderResponseError
        assert err.reason == "ai-chats.org returned an image URL that is not http(s)"
        assert methods(stub) == ["POST"]

    async def test_bytes_that_are_no_image(self, stub: StubServer) -> None:
        script(stub, b"<html><body>Access denied</body></html>", content_type="image/png")
        err = await dalle_error(stub)
        assert type(err) is ProviderResponseError
        assert err.reason == "the generated file is not an image"

    async def test_api_http_error(self, stub: StubServer) -> None:
        stub.post(PATH, status=500)
        err = await dalle_error(stub)
        assert type(err) is ProviderHTTPError and err.status == 500
        assert methods(stub) == ["POST"]

    async def test_image_host_http_error_hides_the_signature(self, stub: StubServer) -> None:
        script(stub, status=404)
        err = await dalle_error(stub)
        assert type(err) is ProviderHTTPError
        assert (err.status, err.reason, err.provider) == (404, "the image host returned HTTP 404", "ai-chats.org")
        assert err.url == stub.url(IMAGE_PATH)
        assert "s3cr3t" not in str(err)
        assert methods(stub) == ["POST", "GET"]


class TestSizeCap:
    async def test_declared_size_over_the_default_cap(self, stub: StubServer, png_bytes: bytes) -> None:
        script(stub, png_bytes, headers={"Content-Length": str(20 * MB + 1)})
        err = await dalle_error(stub)
        assert type(err) is ImageTooLargeError
        assert err.reason == "the image is larger than 20 MB"
        assert (err.limit, err.size) == (20 * MB, 20 * MB + 1)

    async def test_undeclared_size_over_the_default_cap(self, stub: StubServer, png_bytes: bytes) -> None:
        script(stub, png_bytes + bytes(20 * MB), chunked=True)  # no Content-Length: counted while read
        err = await dalle_error(stub)
        assert type(err) is ImageTooLargeError
        assert err.reason == "the image is larger than 20 MB"
        assert (err.limit, err.size) == (20 * MB, None)

    async def test_configurable_cap_and_exact_fit(self, stub: StubServer, png_bytes: bytes) -> None:
        size = len(png_bytes)
        for _ in range(2):
            script(stub, png_bytes)
        [item] = await dalle(stub, max_image_bytes=size)
        assert item.images[0].startswith("data:image/png;base64,")
        err = await dalle_error(stub, max_image_bytes=size - 1)
        assert type(err) is ImageTooLargeError and err.limit == size - 1

    @pytest.mark.parametrize("bad", [0, -5, 1.5, "big"])
    async def test_bad_cap_is_refused(self, stub: StubServer, bad: object) -> None:
        with pytest.raises(ValueError):
            await dalle(stub, max_image_bytes=bad)
        assert stub.received == []

    async def test_cap_stops_reading(self, stub: StubServer, png_bytes: bytes) -> None:
        """The image host sends zeros forever: the download can only end because the cap stopped reading."""
        script(stub, png_bytes, endless=True)
        err = await dalle_error(stub, max_image_bytes=10_000)
        assert type(err) is ImageTooLargeError and err.reason == "the image is larger than 9.8 KB"
        assert err.size is None


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
