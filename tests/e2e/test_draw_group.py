"""/draw for groups end to end: edits by reply, options, albums, 🔄/✏️ buttons, queues, limits, /cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from bot.config import Rate, Settings
from bot.pictures import DrawButton
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.openai import OpenAIEmulator
from tests.emulators.tg_models import ApiCall
from tests.helpers import png_bytes
from tests.settings import changed

from .conftest import RunBot, visible

KEY = "sk-test-0123456789abcdef"
GROUP = -1001000000001
IN_GROUP: dict[str, Any] = {"chat_type": "supergroup", "chat_id": GROUP}


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


def openai(settings: Settings, oa: OpenAIEmulator, **extra: Any) -> Settings:
    return changed(settings, provider_names=("openai",), openai_base_url=oa.base_url, openai_api_key=KEY,
                   **extra)


def photo_message(tg: TelegramEmulator, image: bytes, **kwargs: Any) -> int:
    update = tg.photo_update(image, **kwargs)
    tg.push_update(update)
    return int(update["message"]["message_id"])


def buttons(call: ApiCall) -> list[DrawButton]:
    rows = call.params["reply_markup"]["inline_keyboard"]
    return [DrawButton.unpack(button["callback_data"]) for row in rows for button in row]


def press(tg: TelegramEmulator, call: ApiCall, action: str, **kwargs: Any) -> str:
    [button] = [b for b in buttons(call) if b.action == action]
    update = tg.callback_query_update(button.pack(), message_id=call.result["message_id"], **kwargs)
    tg.push_update(update)
    return str(update["callback_query"]["id"])


async def test_a_reply_to_a_photo_edits_exactly_that_photo(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    source = png_bytes(300, 200, color=(10, 200, 30))
    oa.image_bytes = png_bytes(300, 200, color=(0, 0, 80))
    async with run_bot(openai(settings, oa)):
        photo_id = photo_message(tg, source, **IN_GROUP, user_id=5, first_name="Bob")
        tg.push_message("/draw make it night", reply_to_message_id=photo_id, **IN_GROUP, user_id=6,
                        first_name="Eve")
        [sent] = await tg.wait_for("sendPhoto")

    [edit] = oa.edits
    assert edit.image == source and edit.image_type == "image/png"
    assert edit.fields is not None and edit.fields["prompt"] == "make it night"
    assert edit.fields["model"] == "gpt-image-1" and "response_format" not in edit.fields
    assert oa.image_prompts == []  # no generation
    assert sent.files["photo"].data == oa.image_bytes
    assert sent.params["reply_parameters"]["message_id"] == photo_id + 1  # the /draw request
    assert visible(sent) == "make it night\n\n— asked by Eve"
    assert [b.action for b in buttons(sent)] == ["again", "vary"]


async def test_without_an_editing_provider_a_reply_is_refused_and_plain_draw_works(
    app: Any, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    photo_id = photo_message(tg, png_bytes(100, 100), **IN_GROUP)  # in a group: a photo alone is not a question
    tg.push_message("/draw make it night", reply_to_message_id=photo_id, **IN_GROUP)
    [refusal] = await tg.wait_for("sendMessage")
    tg.push_message("/draw a fox", **IN_GROUP)
    [photo] = await tg.wait_for("sendPhoto")

    assert refusal.params["text"] == texts.edit_unavailable()
    assert ai.image_prompts == ["a fox"]
    assert [b.action for b in buttons(photo)] == ["again"]  # no ✏️ without editing


async def test_several_images_of_a_model_taking_n_come_in_one_request_and_one_album(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(openai(settings, oa, openai_image_model="gpt-image-1")):
        tg.push_message("/draw a harbour x3 --wide at night", **IN_GROUP, first_name="Ann")
        [album] = await tg.wait_for("sendMediaGroup")
        [more] = await tg.wait_for("sendMessage")

    [request] = [r.json for r in oa.requests if r.type == "image"]
    assert request == {"model": "gpt-image-1", "prompt": "a harbour at night", "n": 3, "size": "1536x1024"}
    media = album.params["media"]
    assert [m["type"] for m in media] == ["photo"] * 3
    assert [album.files[m["media"].removeprefix("attach://")].data for m in media] == [oa.image_bytes] * 3
    assert visible(media[0]["caption"]) == "a harbour at night\n\n— asked by Ann"
    assert all("caption" not in m for m in media[1:])
    assert len(album.result) == 3 and len({m["media_group_id"] for m in album.result}) == 1
    assert more.params["reply_parameters"]["message_id"] == album.result[0]["message_id"]
    assert [b.action for b in buttons(more)] == ["again", "vary"]


async def test_dall_e_3_draws_one_per_request(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(openai(settings, oa)):
        tg.push_message("/draw a tower --tall x3")
        [album] = await tg.wait_for("sendMediaGroup")

    requests = [r.json for r in oa.requests if r.type == "image"]
    expected = {"model": "dall-e-3", "prompt": "a tower", "n": 1, "size": "1024x1792", "response_format": "b64_json"}
    assert requests == [expected] * 3
    assert len(album.params["media"]) == 3


async def test_count_is_capped_and_unknown_options_stay_in_the_prompt(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(openai(settings, oa, openai_image_model="gpt-image-1", max_images_per_draw=2)):
        tg.push_message("/draw a cat x4 --fancy")
        [album] = await tg.wait_for("sendMediaGroup")

    [request] = [r.json for r in oa.requests if r.type == "image"]
    assert request["n"] == 2 and request["prompt"] == "a cat --fancy" and "size" not in request
    assert len(album.params["media"]) == 2


async def test_an_image_too_big_for_a_photo_turns_the_album_into_documents(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.image_bytes = png_bytes(2100, 100)  # side ratio 21 > 20: never a photo
    async with run_bot(openai(settings, oa, openai_image_model="gpt-image-1")):
        tg.push_message("/draw a panorama x2")
        [album] = await tg.wait_for("sendMediaGroup")

    assert [m["type"] for m in album.params["media"]] == ["document", "document"]
    assert album.error is None and len(album.result) == 2


async def test_again_draws_the_same_prompt_and_answers_the_button(
    app: Any, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    tg.push_message("/draw a red fox", **IN_GROUP, user_id=5, first_name="Bob")
    [first] = await tg.wait_for("sendPhoto")
    query = press(tg, first, "again", **IN_GROUP, user_id=6, first_name="Eve")
    [_, second] = await tg.wait_for("sendPhoto", count=2)

    assert ai.image_prompts == ["a red fox", "a red fox"]
    [answer] = tg.calls_of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == query and answer.params.get("show_alert") in (None, False)
    assert answer.at < second.at  # the toast comes first, then the drawing
    assert second.params["reply_parameters"]["message_id"] == first.result["message_id"]
    assert visible(second) == "a red fox\n\n— asked by Eve"


async def test_vary_edits_the_drawn_picture(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    drawn = png_bytes(120, 80, color=(1, 2, 3))
    oa.image_bytes = drawn
    async with run_bot(openai(settings, oa)):
        tg.push_message("/draw a lighthouse --square")
        [first] = await tg.wait_for("sendPhoto")
        oa.image_bytes = png_bytes(120, 80, color=(9, 9, 9))
        press(tg, first, "vary")
        [_, varied] = await tg.wait_for("sendPhoto", count=2)

    [edit] = oa.edits
    assert edit.image == drawn
    assert edit.fields == {"model": "gpt-image-1", "prompt": "a lighthouse", "n": "1", "size": "1024x1024"}
    assert varied.files["photo"].data == oa.image_bytes


async def test_a_button_of_a_forgotten_drawing_says_it_expired(
    app: Any, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    tg.push_message("/draw a fox")
    [photo] = await tg.wait_for("sendPhoto")
    tg.push_update(tg.callback_query_update(DrawButton(action="again", ref="gone").pack(),
                                            message_id=photo.result["message_id"]))
    [answer] = await tg.wait_for("answerCallbackQuery")

    assert answer.params["text"] == texts.draw_button_expired() and answer.params["show_alert"] is True
    assert ai.image_prompts == ["a fox"]


async def test_a_button_under_a_picture_telegram_no_longer_shows_says_it_expired(
    app: Any, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """A press under a message the bot can no longer see comes with an InaccessibleMessage: no drawing."""
    tg.push_message("/draw a fox")
    [photo] = await tg.wait_for("sendPhoto")
    press(tg, photo, "again", inaccessible=True)
    [answer] = await tg.wait_for("answerCallbackQuery")

    assert answer.params["text"] == texts.draw_button_expired() and answer.params["show_alert"] is True
    assert ai.image_prompts == ["a fox"] and len(tg.calls_of("sendPhoto")) == 1


async def test_the_group_limit_refuses_the_21st_drawing_with_the_wait(
    app: Any, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    for user in range(1, 22):  # 21 people, one drawing each: only the group's 20/hour can refuse
        tg.push_message(f"/draw picture {user}", **IN_GROUP, user_id=100 + user)
        if user <= 20:
            await tg.wait_for("sendPhoto", count=user)
    [refusal] = await tg.wait_for("sendMessage")

    assert refusal.params["text"].startswith(texts.group_rate_limited(3600, Rate(20, 3600))[:20])
    assert "20" in visible(refusal)
    assert len(ai.image_prompts) == 20


async def test_a_second_drawing_of_the_same_person_waits_and_says_so(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    gate = oa.held_prompts["one"] = asyncio.Event()
    async with run_bot(openai(settings, oa)):
        tg.push_message("/draw one", **IN_GROUP, user_id=5)
        await oa.image_started.wait()
        tg.push_message("/draw two", **IN_GROUP, user_id=5)
        tg.push_message("/draw three", **IN_GROUP, user_id=6)  # someone else: not queued behind user 5
        [notice] = await tg.wait_for("sendMessage")
        await tg.wait_for("sendPhoto")  # user 6's, while user 5's first is still held
        assert oa.image_prompts == ["one", "three"]  # user 5's second did not start
        gate.set()
        photos = await tg.wait_for("sendPhoto", count=3)

    assert notice.params["text"] == texts.draw_queued()
    assert [visible(p).split("\n")[0] for p in photos] == ["three", "one", "two"]


async def test_cancel_stops_a_slow_drawing_and_nothing_is_sent_after_it(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.held_prompts["slowly"] = asyncio.Event()
    async with run_bot(openai(settings, oa, openai_image_model="gpt-image-1")):
        tg.push_message("/draw slowly x2")
        await oa.image_started.wait()
        tg.push_message("/cancel")
        [stopped] = await tg.wait_for("sendMessage")
        oa.release()  # the model answers now: too late, the bot stopped waiting
        tg.push_message("/draw after")  # drawn after the cancelled one's answer would have come, if ever
        [after] = await tg.wait_for("sendPhoto")

    assert stopped.params["text"] == texts.cancelled()
    assert visible(after) == "after"
    assert tg.calls_of("sendMediaGroup") == []  # the cancelled album never came


async def test_hostile_edits_get_clear_replies_and_the_bot_lives_on(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.held_prompts["forever"] = asyncio.Event()

    async def reply_to(request_id: int) -> str:
        [reply] = await tg.wait_for(
            "sendMessage", lambda c: c.params["reply_parameters"]["message_id"] == request_id
        )
        return visible(reply)

    def draw(text: str, replied: int) -> int:
        return int(tg.push_message(text, reply_to_message_id=replied, **IN_GROUP)["message"]["message_id"])

    async with run_bot(openai(settings, oa, provider_timeout=1.0, draw_rate=Rate(100, 60))):
        sticker = tg.sticker_update(**IN_GROUP)
        tg.push_update(sticker)
        not_a_photo = await reply_to(draw("/draw make it blue", sticker["message"]["message_id"]))
        huge = photo_message(tg, png_bytes(64, 64) + bytes(30 * 1024 * 1024), **IN_GROUP)  # over MAX_IMAGE_BYTES
        too_large = await reply_to(draw("/draw make it small", huge))
        photo = photo_message(tg, png_bytes(80, 80), **IN_GROUP)
        oa.fail_next("non_json")
        garbage = await reply_to(draw("/draw make it night", photo))
        oa.fail_next(400)
        refused = await reply_to(draw("/draw make it night", photo))
        timed_out = await reply_to(draw("/draw forever", photo))
        oa.release()
        draw("/draw fine now", photo)
        [fine] = await tg.wait_for("sendPhoto")

    assert not_a_photo == visible(texts.edit_needs_photo())
    assert too_large == visible(texts.edit_source_too_large(settings.max_image_bytes))
    assert garbage.startswith("I could not draw that: ") and "not JSON" in garbage
    assert refused.startswith("I could not draw that: ") and "HTTP 400" in refused
    assert timed_out.startswith("I could not draw that: ") and "timed out" in timed_out
    assert visible(fine).startswith("fine now")
    assert [e.fields["prompt"] for e in oa.edits if e.fields] == ["make it night"] * 2 + ["forever", "fine now"]
    assert all(e.image == png_bytes(80, 80) for e in oa.edits)
