"""Content parts (images) and speech to text in provider/: what reaches the emulated servers, which members
of a chain are asked, and errors that never carry the API key."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from provider import (
    AiChats,
    AllProvidersFailedError,
    FallbackProvider,
    OpenAICompatible,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderHTTPError,
    ProviderResponseError,
)
from provider.content import content_text, image_part, text_part, without_images
from tests.emulators.aichats import AiChatsEmulator
from tests.emulators.openai import OpenAIEmulator

KEY = "sk-vision-0123456789SECRET"
PNG_URI = "data:image/png;base64,iVBORw0KGgo="
QUESTION = [{"role": "user", "content": [text_part("What is this?"), image_part(PNG_URI)]}]
HISTORY = [*QUESTION, {"role": "assistant", "content": "A cat."}, {"role": "user", "content": "Its colour?"}]


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
async def ai() -> AsyncIterator[AiChatsEmulator]:
    async with AiChatsEmulator() as emulator:
        yield emulator


def openai(oa: OpenAIEmulator, **options: Any) -> type[OpenAICompatible]:
    return OpenAICompatible.configure(oa.base_url, api_key=options.pop("api_key", KEY), model="m1",
                                      image_model=None, **options)


async def answer(provider: Any, messages: list[dict[str, Any]]) -> str:
    chunks = provider.create_async_generator(provider.default_model, messages)
    return "".join([c async for c in chunks if isinstance(c, str)])  # text only: a Usage may end the stream


def test_content_text_flattens_parts_with_placeholders() -> None:
    assert content_text(QUESTION[0]["content"]) == "What is this?\n\n[image]"
    assert without_images(HISTORY)[0] == {"role": "user", "content": "What is this?\n\n[image]"}
    assert without_images(HISTORY)[1:] == HISTORY[1:]


async def test_openai_sends_content_parts_as_they_are(oa: OpenAIEmulator) -> None:
    assert await answer(openai(oa), QUESTION) == "Echo: What is this?"
    assert oa.chat_messages == [QUESTION]


async def test_openai_without_vision_gets_placeholders(oa: OpenAIEmulator) -> None:
    blind = openai(oa, vision=False)
    assert not blind.supports_vision and OpenAICompatible.supports_vision
    await answer(blind, HISTORY)
    assert oa.chat_messages[0][0] == {"role": "user", "content": "What is this?\n\n[image]"}


async def test_aichats_flattens_images_to_placeholders(ai: AiChatsEmulator) -> None:
    await answer(AiChats.with_base_url(ai.base_url), HISTORY)
    assert ai.chat_prompts == ["User: What is this?\n\n[image]\nAssistant: A cat.\nUser: Its colour?\nAssistant:"]


async def test_chain_asks_only_members_that_see_for_a_question_with_an_image(
    oa: OpenAIEmulator, ai: AiChatsEmulator
) -> None:
    chain = FallbackProvider([AiChats.with_base_url(ai.base_url), openai(oa)])
    assert chain.supports_vision
    assert await answer(chain, QUESTION) == "Echo: What is this?"
    assert ai.hits == {} and len(oa.chat_messages) == 1
    await answer(chain, HISTORY)  # images only in the history: the first member answers, blind
    assert ai.chat_prompts[0].startswith("User: What is this?\n\n[image]\n")


async def test_chain_that_cannot_see_refuses_without_a_request(ai: AiChatsEmulator, oa: OpenAIEmulator) -> None:
    chain = FallbackProvider([AiChats.with_base_url(ai.base_url), openai(oa, vision=False)])
    assert not chain.supports_vision
    with pytest.raises(ProviderResponseError, match="no configured provider can see images"):
        await answer(chain, QUESTION)
    assert ai.hits == {} and oa.requests == []


async def test_transcribe_uploads_the_audio_as_multipart(oa: OpenAIEmulator) -> None:
    provider = openai(oa, transcribe_model="whisper-1")
    oa.transcript = "  hello there \n"
    text = await provider.transcribe(b"OggS-audio", filename="voice.ogg", mime="audio/ogg", language="en")
    assert text == "hello there"
    [form] = oa.transcriptions
    assert form == {"model": "whisper-1", "response_format": "json", "language": "en",
                    "file": ("voice.ogg", "audio/ogg", b"OggS-audio")}
    assert oa.requests[0].headers["Authorization"] == f"Bearer {KEY}"


async def test_transcribe_errors_are_typed_and_never_hold_the_key(
    oa: OpenAIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = openai(oa, transcribe_model="whisper-1", api_key="sk-wrong-key-00000000SECRET")
    with pytest.raises(ProviderAuthError) as auth:
        await wrong.transcribe(b"x", filename="a.ogg", mime="audio/ogg")
    right = openai(oa, transcribe_model="whisper-1")
    oa.fail_next(500)
    with pytest.raises(ProviderHTTPError) as server:
        await right.transcribe(b"x", filename="a.ogg", mime="audio/ogg")
    oa.fail_next("reset")
    with pytest.raises(ProviderConnectionError):
        await right.transcribe(b"x", filename="a.ogg", mime="audio/ogg")
    assert server.value.status == 500
    for secret in ("sk-wrong-key-00000000SECRET", KEY):
        assert secret not in str(auth.value) and secret not in repr(auth.value) and secret not in caplog.text


async def test_chain_transcribes_with_the_first_member_that_can(oa: OpenAIEmulator, ai: AiChatsEmulator) -> None:
    chain = FallbackProvider([AiChats.with_base_url(ai.base_url), openai(oa, transcribe_model="whisper-1")])
    assert chain.transcribe_model == "whisper-1"
    assert await chain.transcribe(b"a", filename="v.ogg", mime="audio/ogg") == oa.transcript
    oa.fail_next(503)
    with pytest.raises(AllProvidersFailedError):
        await chain.transcribe(b"a", filename="v.ogg", mime="audio/ogg")
    with pytest.raises(NotImplementedError):
        await FallbackProvider([AiChats.with_base_url(ai.base_url)]).transcribe(b"a", filename="v", mime="audio/ogg")


def test_json_body_splices_big_images_into_the_same_bytes() -> None:
    import json

    from provider.content import SplicedJson, json_body

    big = "data:image/jpeg;base64," + "QUJD" * 300_000  # 1.2 MB of base64
    payload = {"model": "m", "stream": True, "messages": [
        {"role": "system", "content": "Be \"terse\" ✓"},
        {"role": "user", "content": [text_part("two: \n"), image_part(big), image_part(PNG_URI), image_part(big)]},
    ]}
    body = json_body(payload)
    assert isinstance(body, SplicedJson)
    assert b"".join(body.chunks()) == json.dumps(payload).encode() and body.size == len(json.dumps(payload).encode())
    small = {"model": "m", "messages": QUESTION}
    assert json_body(small) == json.dumps(small).encode()


async def test_a_big_image_reaches_the_server_whole(oa: OpenAIEmulator) -> None:
    big = "data:image/png;base64," + "iVBORw0K" * 200_000
    await answer(openai(oa), [{"role": "user", "content": [text_part("big?"), image_part(big)]}])
    assert oa.chat_messages[0][0]["content"][1]["image_url"]["url"] == big
    assert "chunked" not in oa.requests[0].headers.get("Transfer-Encoding", "")
