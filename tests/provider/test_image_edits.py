"""Image edits and several images per request over real sockets (OpenAI emulator), and edit routing in a chain."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from provider import (
    AiChats,
    FallbackProvider,
    ImageData,
    ImageResponse,
    OpenAICompatible,
    ProviderHTTPError,
    ProviderResponseError,
)
from tests.emulators import AiChatsEmulator
from tests.emulators.openai import OpenAIEmulator
from tests.helpers import png_bytes

KEY = "sk-emulated-0123456789-SECRET"
PROMPT = [{"role": "user", "content": "make it night"}]


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


def editing(oa: OpenAIEmulator) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(oa.base_url, api_key=KEY, image_edit_model="gpt-image-1")


async def images(stream: AsyncIterator[str | ImageResponse]) -> list[ImageData]:
    return [file async for item in stream if isinstance(item, ImageResponse) for file in item.files]


async def test_an_edit_uploads_the_image_as_a_multipart_file(oa: OpenAIEmulator) -> None:
    source = ImageData(png_bytes(30, 20), "image/png")
    got = await images(editing(oa).create_async_generator("gpt-image-1", PROMPT, image=source, n=2, size="1792x1024"))

    [edit] = oa.edits
    assert edit.image == source.data and edit.image_type == "image/png"
    assert edit.fields == {"model": "gpt-image-1", "prompt": "make it night", "n": "2", "size": "1536x1024"}
    assert edit.headers["Authorization"] == f"Bearer {KEY}"
    assert [file.data for file in got] == [oa.image_bytes] * 2


async def test_dall_e_3_is_asked_once_per_image(oa: OpenAIEmulator) -> None:
    got = await images(editing(oa).create_async_generator("dall-e-3", PROMPT, n=3, size="1024x1792"))

    bodies = [r.json for r in oa.requests if r.type == "image"]
    assert [b["n"] for b in bodies] == [1, 1, 1] and {b["size"] for b in bodies} == {"1024x1792"}
    assert len(got) == 3


async def test_a_refused_edit_is_a_provider_error(oa: OpenAIEmulator) -> None:
    oa.fail_next(400)
    with pytest.raises(ProviderHTTPError):
        await images(editing(oa).create_async_generator("gpt-image-1", PROMPT, image=ImageData(b"x", "image/png")))


async def test_the_chain_sends_edits_only_to_members_that_edit(oa: OpenAIEmulator) -> None:
    async with AiChatsEmulator() as ai:
        aichats = AiChats.with_base_url(ai.base_url)
        chain = FallbackProvider([aichats, editing(oa)])
        assert chain.image_edit_model == "gpt-image-1"
        source = ImageData(png_bytes(8, 8), "image/png")
        got = await images(chain.create_async_generator(chain.image_edit_model, PROMPT, image=source))
        assert len(got) == 1 and len(oa.edits) == 1 and ai.image_prompts == []

        alone = FallbackProvider([aichats])
        assert alone.image_edit_model is None
        with pytest.raises(ProviderResponseError, match="can edit"):
            await images(alone.create_async_generator("dalle", PROMPT, image=source))
