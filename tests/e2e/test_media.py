"""Photos, albums, voice messages and documents as conversation turns, end to end: what the emulated OpenAI
receives (the exact image bytes, audio bytes and document text) and what the user sees."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bot.app import Application
from bot.config import Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.openai import OpenAIEmulator, text_of
from tests.helpers import png_bytes
from tests.pdfs import image_pdf, text_pdf
from tests.settings import changed

from .conftest import RunBot, not_preview, visible

KEY = "sk-test-media-0123456789"
GROUP = -1001000000001
RED, GREEN, BLUE = png_bytes(60, 40, (220, 0, 0)), png_bytes(60, 40, (0, 200, 0)), png_bytes(60, 40, (0, 0, 230))


def uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def openai_settings(settings: Settings, oa: OpenAIEmulator) -> Settings:
    return changed(settings, provider_names=("openai",), openai_base_url=oa.base_url, openai_api_key=KEY,
                   openai_model="m1", streaming=False)


@pytest.fixture
async def bot(run_bot: RunBot, openai_settings: Settings) -> AsyncIterator[Application]:
    async with run_bot(openai_settings) as app:
        yield app


def answers(tg: TelegramEmulator) -> list[str]:
    return [visible(c) for c in tg.calls_of("sendMessage") if not_preview(c)]


async def answered(tg: TelegramEmulator, count: int) -> list[str]:
    return [visible(c) for c in await tg.wait_for("sendMessage", not_preview, count=count)]


# ------------------------------------------------------------------ photos
async def test_private_photo_goes_with_its_caption_and_comes_back_for_follow_ups(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_update(tg.photo_update(RED, caption="What is this?"))
    await answered(tg, 1)
    assert oa.chat_messages[0] == [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": uri(RED)}}]}]

    tg.push_message("and what colour is it?")
    await answered(tg, 2)
    first, follow_up = oa.chat_messages[1][0], oa.chat_messages[1][2]
    assert first["content"][1]["image_url"]["url"] == uri(RED)  # downloaded again by its file id
    assert follow_up == {"role": "user", "content": "and what colour is it?"}

    tg.push_update(tg.photo_update(GREEN, caption="second"))
    await answered(tg, 3)
    tg.push_update(tg.photo_update(BLUE, caption="third"))
    await answered(tg, 4)
    tg.push_message("which was brightest?")
    await answered(tg, 5)
    # Only the last HISTORY_IMAGES (2) images go along, the question's own among them; older ones are placeholders.
    assert [url for urls in oa.chat_images(3) for url in urls] == [uri(GREEN), uri(BLUE)]  # with the third photo
    assert [url for urls in oa.chat_images() for url in urls] == [uri(GREEN), uri(BLUE)]
    assert oa.chat_messages[-1][0]["content"] == "What is this?\n[image]"


async def test_photo_without_a_question_is_described(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_update(tg.photo_update(RED))
    assert await answered(tg, 1) == ["Echo: What is in this picture?"]
    assert oa.chat_images() == [[uri(RED)]]


async def test_a_photo_that_cannot_be_downloaded_again_becomes_a_placeholder(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    update = tg.photo_update(RED, caption="look")
    tg.push_update(update)
    await answered(tg, 1)
    for size in update["message"]["photo"]:
        del tg.store.files[size["file_id"]]  # Telegram no longer knows the file
    tg.push_message("and now?")
    assert await answered(tg, 2) == ["Echo: look", "Echo: and now?"]
    assert oa.chat_messages[1][0] == {"role": "user", "content": "look\n[image]"}


async def test_group_photo_with_ask_caption_and_ask_replying_to_a_photo(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_update(tg.photo_update(RED, caption="/ask@TestAiBot what is it?", chat_type="supergroup"))
    assert await answered(tg, 1) == ["Echo: what is it?"]
    assert oa.chat_images() == [[uri(RED)]]

    ignored = tg.photo_update(GREEN, chat_type="supergroup")  # no command, no reply to the bot: not for us
    tg.push_update(ignored)
    tg.push_message("/ask@TestAiBot and this one?", chat_type="supergroup",
                    reply_to_message_id=ignored["message"]["message_id"])
    assert (await answered(tg, 2))[1] == "Echo: and this one?"
    assert len(oa.chat_messages) == 2  # the photo alone cost no request
    assert oa.chat_images()[-1] == [uri(GREEN)]
    replied_to = [c.params.get("reply_parameters", {}) for c in tg.calls_of("sendMessage")]
    assert all(str(ignored["message"]["message_id"]) not in str(r) for r in replied_to[:1])


async def test_album_is_one_turn_with_all_its_images(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    for update in tg.album_updates([RED, GREEN, BLUE], caption="compare these"):
        tg.push_update(update)
    assert await answered(tg, 1) == ["Echo: compare these"]
    tg.push_message("thanks")
    await answered(tg, 2)
    assert len(oa.chat_messages) == 2  # one request for the album, one for "thanks"
    assert oa.chat_images(0) == [[uri(RED), uri(GREEN), uri(BLUE)]]
    assert answers(tg) == ["Echo: compare these", "Echo: thanks"]


async def test_no_provider_that_sees_images(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    async with run_bot(changed(settings, provider_names=("aichats",), streaming=False)):
        tg.push_update(tg.photo_update(RED, caption="What is this?"))
        [refusal] = await tg.wait_for("sendMessage")
        tg.push_message("hello")
        await tg.wait_for("sendMessage", count=2)
    assert "can see images" in visible(refusal)
    assert [r.prompt for r in ai.requests] == ["hello"]  # no request for the photo, and nothing stored


# ------------------------------------------------------------------- voice
async def test_voice_is_transcribed_shown_and_answered(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    ogg = b"OggS\x00\x02" + bytes(range(256)) * 4
    tg.push_update(tg.voice_update(data=ogg))
    shown, answer = await tg.wait_for("sendMessage", count=2)
    [form] = oa.transcriptions
    assert form["file"] == ("voice.ogg", "audio/ogg", ogg)
    assert form["model"] == "whisper-1"
    assert oa.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert "I heard:" in visible(shown) and oa.transcript in visible(shown)
    assert visible(answer) == f"Echo: {oa.transcript}"
    assert oa.chat_messages[0][-1] == {"role": "user", "content": oa.transcript}


async def test_voice_over_20_mb_is_refused_before_any_download(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_update(tg.voice_update(data=b"OggS" + bytes(25 * 1024 * 1024)))
    [refusal] = await tg.wait_for("sendMessage")
    assert "up to 20 MB" in visible(refusal)
    assert tg.calls_of("getFile") == [] and oa.requests == []


async def test_get_file_refuses_files_over_20_mb_like_telegram(tg: TelegramEmulator) -> None:
    import aiohttp

    stored = tg.store.add_file(bytes(21 * 1024 * 1024), "voice", "oga")
    async with aiohttp.ClientSession() as http, http.post(
        f"{tg.base_url}/bot{tg.token}/getFile", data={"file_id": stored.file_id}
    ) as response:
        body = await response.json()
    assert response.status == 400 and body["description"] == "Bad Request: file is too big"


async def test_transcription_off_says_so(
    run_bot: RunBot, openai_settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(changed(openai_settings, openai_transcribe_model=None)):
        tg.push_update(tg.voice_update())
        [refusal] = await tg.wait_for("sendMessage")
    assert "speech recognition is not set up" in visible(refusal)
    assert oa.requests == []


async def test_audio_file_and_video_note_are_transcribed(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_update(tg.audio_update(b"ID3-mp3-bytes", file_name="talk.mp3"))
    await answered(tg, 2)  # the transcript, then the answer
    tg.push_update(tg.audio_update(b"mp4-bytes", kind="video_note", mime_type="video/mp4"))
    await answered(tg, 4)
    assert [f["file"] for f in oa.transcriptions] == [
        ("talk.mp3", "audio/mpeg", b"ID3-mp3-bytes"), ("video.mp4", "video/mp4", b"mp4-bytes")]


# --------------------------------------------------------------- documents
@pytest.mark.parametrize(
    ("data", "name", "mime", "expected"),
    [
        (b"Meeting at noon.\nBring snacks.", "notes.txt", "text/plain", "Meeting at noon.\nBring snacks."),
        (b"def add(a, b):\n    return a + b\n", "calc.py", "text/x-python", "def add(a, b):\n    return a + b"),
        (text_pdf("The launch code is 4242"), "memo.pdf", "application/pdf", "The launch code is 4242"),
    ],
)
async def test_document_text_goes_into_the_turn_and_stays_for_follow_ups(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator, data: bytes, name: str, mime: str, expected: str
) -> None:
    tg.push_update(tg.document_update(data, file_name=name, mime_type=mime, caption="what does it say?"))
    await answered(tg, 1)
    sent = oa.chat_messages[0][-1]["content"]
    assert sent.startswith(f"Document {name}:\n") and expected in sent and sent.endswith("\n\nwhat does it say?")
    tg.push_message("say it again")
    await answered(tg, 2)
    assert expected in text_of(oa.chat_messages[1][0]["content"])


async def test_long_document_is_cut_at_the_limit_and_the_user_told(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(200_000))
    tg.push_update(tg.document_update(text.encode(), file_name="big.txt", caption="summary?"))
    notice, _ = await tg.wait_for("sendMessage", count=2)
    assert "first 30,000 characters of 200,000" in visible(notice)
    sent = oa.chat_messages[0][-1]["content"]
    assert text[:30_000] in sent and text[:30_001] not in sent


@pytest.mark.parametrize(
    ("data", "name", "mime", "says"),
    [
        (b"PK\x03\x04zipped", "archive.zip", "application/zip", "I can't read archive.zip"),
        (image_pdf(), "scan.pdf", "application/pdf", "I found no text in scan.pdf"),
        (b"\xff\xfe\x00bad\xc3" + bytes([0x80, 0xff]) * 10, "data.csv", "text/csv", "not UTF-8"),
    ],
)
async def test_unreadable_documents_get_a_clear_reply_and_nothing_is_stored(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator, data: bytes, name: str, mime: str, says: str
) -> None:
    tg.push_update(tg.document_update(data, file_name=name, mime_type=mime))
    [refusal] = await tg.wait_for("sendMessage")
    assert says in visible(refusal)
    tg.push_message("hello")
    await answered(tg, 2)
    assert oa.chat_messages == [[{"role": "user", "content": "hello"}]]


async def test_group_document_needs_ask(bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator) -> None:
    tg.push_update(tg.document_update(b"ignored text", chat_type="supergroup"))
    tg.push_update(tg.document_update(b"shared notes", chat_type="supergroup", caption="/ask gist?"))
    assert await answered(tg, 1) == ["Echo: Document notes.txt:\nshared notes\n\ngist?"]
    assert len(oa.chat_messages) == 1


async def test_stickers_still_get_the_hint(bot: Application, tg: TelegramEmulator) -> None:
    tg.push_update(tg.sticker_update())
    [hint] = await tg.wait_for("sendMessage")
    assert "photo, a voice message" in visible(hint)


async def test_group_photo_replying_to_the_bot_is_answered(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.push_message("/ask@TestAiBot hi", chat_type="supergroup")
    [first] = await tg.wait_for("sendMessage", not_preview)
    reply_to = first.result["message_id"]
    tg.push_update(tg.photo_update(RED, caption="like this?", chat_type="supergroup", reply_to_message_id=reply_to))
    assert (await answered(tg, 2))[1] == "Echo: like this?"
    assert oa.chat_images()[-1] == [uri(RED)]


async def test_an_album_costs_one_ask_of_the_rate(
    run_bot: RunBot, openai_settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    from bot.config import Rate

    async with run_bot(changed(openai_settings, ask_rate=Rate(2, 3600))):
        for update in tg.album_updates([RED, GREEN, BLUE], caption="one turn"):
            tg.push_update(update)
        await answered(tg, 1)
        tg.push_message("second turn")
        await answered(tg, 2)
        tg.push_message("third turn")
        calls = await tg.wait_for("sendMessage", count=3)
    assert answers(tg)[:2] == ["Echo: one turn", "Echo: second turn"]
    assert visible(calls[2]).startswith("Slow down a little: the limit is 2/h.")
    assert len(oa.chat_messages) == 2


async def test_a_photo_telegram_will_not_serve_is_refused_and_not_stored(
    bot: Application, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.fail_next("getFile", status=400, description="Bad Request: invalid file_id")
    tg.push_update(tg.photo_update(RED, caption="what is it?"))
    [refusal] = await tg.wait_for("sendMessage")
    assert visible(refusal) == "I could not download that file from Telegram. Please send it again."
    tg.push_message("hello")
    await answered(tg, 2)
    assert oa.chat_messages == [[{"role": "user", "content": "hello"}]]


async def test_a_caption_over_max_prompt_chars_is_told_so(
    run_bot: RunBot, openai_settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(changed(openai_settings, max_prompt_chars=100)):
        tg.push_update(tg.photo_update(RED, caption="x" * 150))
        [refusal] = await tg.wait_for("sendMessage")
    assert visible(refusal) == "That is too long: 150 characters; the limit is 100. Please shorten it."
    assert oa.requests == []
