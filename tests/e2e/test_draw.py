"""/draw end to end: exact photo bytes, documents for images Telegram refuses as photos, clear errors."""

from __future__ import annotations

from bot import texts
from bot.app import Application
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.helpers import png_bytes
from tests.telegram_html import telegram_len

from .conftest import GROUP, visible


async def test_draw_sends_the_exact_image_as_a_photo(app: Application, tg: TelegramEmulator,
                                                     ai: AiChatsEmulator) -> None:
    ai.image_bytes = png_bytes(320, 200)
    question = tg.push_message("/draw a fox <in> the snow")["message"]

    [photo] = await tg.wait_for("sendPhoto")

    assert photo.files["photo"].data == ai.image_bytes
    assert visible(photo.params["caption"]) == "a fox <in> the snow"
    assert photo.params["reply_parameters"]["message_id"] == question["message_id"]
    assert ai.image_prompts == ["a fox <in> the snow"]
    actions = [c.params["action"] for c in tg.calls_of("sendChatAction")]
    assert actions and set(actions) == {"upload_photo"}


async def test_draw_leaves_history_alone(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    tg.push_message("/draw a cat")
    await tg.wait_for("sendPhoto")
    ai.answers = ["hi"]
    tg.push_message("/ask hello")
    await tg.wait_for("sendMessage")

    assert ai.chat_prompts == ["hello"]


async def test_caption_is_cut_to_1024(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    prompt = "🦊 & " * 400  # 1,600 characters, 2,000 UTF-16 units
    tg.push_message("/draw " + prompt.strip())

    [photo] = await tg.wait_for("sendPhoto")

    caption = visible(photo.params["caption"])
    assert prompt.startswith(caption) and 1000 <= telegram_len(caption) <= 1024
    assert ai.image_prompts == [prompt.strip()]


async def test_too_wide_image_goes_out_as_a_document(app: Application, tg: TelegramEmulator,
                                                     ai: AiChatsEmulator) -> None:
    ai.image_bytes = png_bytes(2100, 100)  # side ratio 21 > 20
    tg.push_message("/draw a panorama")

    [document] = await tg.wait_for("sendDocument")

    assert document.files["document"].data == ai.image_bytes
    assert document.files["document"].filename == "image.png"
    assert tg.calls_of("sendPhoto") == []


async def test_image_errors_get_clear_replies(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.fail_next("image_404")
    tg.push_message("/draw one")
    [first] = await tg.wait_for("sendMessage")
    ai.fail_next("image_not_image")
    tg.push_message("/draw two")
    [_, second] = await tg.wait_for("sendMessage", count=2)

    assert visible(first).startswith("I could not draw that: ")
    assert "404" in visible(first)
    assert visible(second).startswith("I could not draw that: ")
    assert tg.calls_of("sendPhoto") == []


async def test_draw_without_prompt_gets_usage(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    tg.push_message("/draw")
    [usage] = await tg.wait_for("sendMessage")

    assert usage.params["text"] == texts.draw_options_help()
    assert ai.hits == {}


async def test_a_photo_refused_for_its_dimensions_goes_out_as_a_document(
    app: Application, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    tg.fail_next("sendPhoto", status=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS")
    tg.push_message("/draw a tall tower")

    [document] = await tg.wait_for("sendDocument")

    assert document.files["document"].data == ai.image_bytes
    assert tg.calls_of("sendMessage") == []


async def test_other_photo_refusals_are_explained_not_sent_as_files(
    app: Application, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    tg.fail_next("sendPhoto", status=400, description="Bad Request: not enough rights to send photos to the chat")
    tg.push_message("/draw a cat", chat_type="supergroup", chat_id=GROUP)
    [no_rights] = await tg.wait_for("sendMessage")
    tg.fail_next("sendPhoto", status=400, description="Bad Request: TOPIC_CLOSED")
    tg.push_message("/draw a dog")
    [_, other] = await tg.wait_for("sendMessage", count=2)

    assert no_rights.params["text"] == texts.photo_not_allowed()
    assert other.params["text"] == texts.photo_refused("TOPIC_CLOSED")
    assert tg.calls_of("sendDocument") == []
    assert ai.image_prompts == ["a cat", "a dog"]
