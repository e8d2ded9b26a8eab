"""The Telegram emulator answers a real aiogram Bot the way Telegram would (results, errors, faults)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BotCommand, BufferedInputFile, MessageEntity, ReplyParameters, Update
from aiohttp import web

from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.helpers import png_bytes

TOKEN = "123456:TEST-token"
USER = 1001
GROUP = -1001000000001


class LocalSession(AiohttpSession):
    """AiohttpSession minus the 250 ms SSL-drain sleep in ``close()``: pointless over plain local HTTP."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, bot_username="TestAiBot", bot_id=4242) as emulator:
        yield emulator
        assert not emulator.errors, "the emulator itself crashed"


@pytest.fixture
async def bot(tg: TelegramEmulator) -> AsyncIterator[Bot]:
    session = LocalSession(api=TelegramAPIServer.from_base(tg.base_url))
    yield Bot(TOKEN, session=session)
    await session.close()


async def test_send_message_returns_full_message_and_records_call(bot: Bot, tg: TelegramEmulator) -> None:
    me = await bot.get_me()
    sent = await bot.send_message(USER, "<b>Hi</b> &amp; bye", parse_mode="HTML")

    assert (me.id, me.username) == (4242, "TestAiBot")
    assert sent.text == "Hi & bye" and sent.from_user is not None and sent.from_user.id == 4242
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 2)]
    [call] = await tg.wait_for("sendMessage")
    assert call.params == {"chat_id": USER, "text": "<b>Hi</b> &amp; bye", "parse_mode": "HTML"}
    assert [m["text"] for m in tg.messages(USER)] == ["Hi & bye"]
    second = await bot.send_message(USER, "again", message_thread_id=7, reply_parameters=ReplyParameters(message_id=1))
    assert second.message_id == 2 and second.is_topic_message and second.message_thread_id == 7
    assert second.reply_to_message is not None and second.reply_to_message.text == "Hi & bye"


async def test_photo_upload_arrives_byte_exact_and_can_be_downloaded(bot: Bot, tg: TelegramEmulator) -> None:
    data = png_bytes(120, 80)
    sent = await bot.send_photo(
        USER, BufferedInputFile(data, filename="pic.png"), caption="<i>cap</i>", parse_mode="HTML"
    )

    [call] = tg.calls_of("sendPhoto")
    assert call.files["photo"].data == data and call.files["photo"].filename == "pic.png"
    assert call.params["photo"].startswith("attach://")
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (120, 80)
    assert sent.caption == "cap"
    downloaded = await bot.download(sent.photo[-1].file_id)
    assert downloaded is not None and downloaded.read() == data


async def test_photo_and_caption_limits(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, BufferedInputFile(png_bytes(420, 20), "thin.png"))
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_photo(USER, BufferedInputFile(bytes(10 * 1024 * 1024 + 1), "big.png"))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, BufferedInputFile(png_bytes(), "a.png"), caption="c" * 1025)
    doc = await bot.send_document(USER, BufferedInputFile(b"hello", "notes.txt"))
    assert doc.document is not None and doc.document.file_name == "notes.txt"
    assert doc.document.mime_type == "text/plain"


async def test_text_validation_matches_telegram(bot: Bot, tg: TelegramEmulator) -> None:
    await bot.send_message(USER, "x" * 4096)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # counted after parsing
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert [c.status for c in tg.calls_of("sendMessage")] == [200, 200, 400, 400, 400, 400]


async def test_explicit_entities_are_refused_in_telegrams_words(bot: Bot) -> None:
    """A bad entity object is "can't parse MessageEntity", a bad range "can't parse entities"."""
    sent = await bot.send_message(USER, "hi", entities=[MessageEntity(type="bold", offset=0, length=2)])
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 2)]
    with pytest.raises(TelegramBadRequest, match="can't parse MessageEntity: Unsupported type specified"):
        await bot.send_message(USER, "hi", entities=[MessageEntity(type="sparkle", offset=0, length=2)])
    with pytest.raises(TelegramBadRequest, match='can\'t parse MessageEntity: Can\'t find field "url"'):
        await bot.send_message(USER, "hi", entities=[MessageEntity(type="text_link", offset=0, length=2)])
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Entity beginning at UTF-16 offset 1 "
                                                 "ends after the end of the text at UTF-16 offset 3"):
        await bot.send_message(USER, "hi", entities=[MessageEntity(type="bold", offset=1, length=2)])
    with pytest.raises(TelegramBadRequest, match="Entity boundary is in the middle of a UTF-16 symbol"):
        await bot.send_message(USER, "😀!", entities=[MessageEntity(type="bold", offset=1, length=2)])


async def test_edit_delete_and_their_errors(bot: Bot, tg: TelegramEmulator) -> None:
    sent = await bot.send_message(USER, "draft")
    edited = await bot.edit_message_text("final", chat_id=USER, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "final" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message content"):
        await bot.edit_message_text("final", chat_id=USER, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text("x" * 4097, chat_id=USER, message_id=sent.message_id)
    assert await bot.delete_message(USER, sent.message_id)
    assert tg.messages(USER) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_fault_injection(bot: Bot, tg: TelegramEmulator) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "hi")
    assert info.value.retry_after == 7 and "Too Many Requests: retry after 7" in str(info.value)
    tg.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "hi")
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER, "hi")
    await bot.send_message(USER, "hi")  # faults are one-off
    assert [c.status for c in tg.calls_of("sendMessage")] == [429, None, 500, 200]
    assert [m["text"] for m in tg.messages(USER)] == ["hi"]  # failed calls had no effect

    tg.latency = 0.2
    started = time.monotonic()
    await bot.send_chat_action(USER, "typing")
    assert time.monotonic() - started >= 0.2


async def test_draft_only_in_private_chats(bot: Bot, tg: TelegramEmulator) -> None:
    assert await bot.send_message_draft(chat_id=USER, draft_id=5, text="<i>think</i>", parse_mode="HTML")
    assert tg.draft(USER) == {
        "draft_id": 5,
        "text": "think",
        "entities": [{"type": "italic", "offset": 0, "length": 5}],
    }
    with pytest.raises(TelegramBadRequest, match="TEXTDRAFT_PEER_INVALID"):
        await bot.send_message_draft(chat_id=GROUP, draft_id=5, text="x")
    await bot.send_message(USER, "done")
    assert tg.draft(USER) is None  # sending a message replaces the draft


async def test_get_updates_offset_and_long_poll(bot: Bot, tg: TelegramEmulator) -> None:
    first = tg.push_message("/start@TestAiBot now", chat_type="group", chat_id=-55)
    tg.push_message("hello")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], first["update_id"] + 1]
    msg = updates[0].message
    assert msg is not None and msg.chat.type == "group" and msg.text == "/start@TestAiBot now"
    assert [(e.type, e.offset, e.length) for e in msg.entities or []] == [("bot_command", 0, 16)]
    assert len(await bot.get_updates(timeout=0)) == 2  # not confirmed yet
    offset = updates[-1].update_id + 1
    assert await bot.get_updates(offset=offset, timeout=0) == []

    # A poll for an hour: only the pushed update can end it (else the test times out).
    poll = asyncio.create_task(bot.get_updates(offset=offset, timeout=3600))
    await poll_pending(tg, tg.poll_generation + 1)
    assert not poll.done()
    tg.push_message("late")
    [late] = await poll
    assert late.message is not None and late.message.text == "late"


async def test_updates_reply_to_bot_messages_and_media(bot: Bot, tg: TelegramEmulator) -> None:
    sent = await bot.send_message(GROUP, "question?")
    update = tg.message_update("answer", chat_type="supergroup", chat_id=GROUP, reply_to_message_id=sent.message_id)
    parsed = Update.model_validate({"update_id": 1, **update})
    assert parsed.message is not None and parsed.message.reply_to_message is not None
    assert parsed.message.reply_to_message.from_user is not None
    assert parsed.message.reply_to_message.from_user.id == 4242
    assert parsed.message.message_id == sent.message_id + 1

    topic = Update.model_validate({"update_id": 2, **tg.message_update("t", chat_type="supergroup", thread_id=9)})
    assert topic.message is not None and topic.message.is_topic_message and topic.message.chat.is_forum
    for extra in (tg.photo_update(caption="look"), tg.sticker_update(), tg.voice_update()):
        tg.push_update(extra)
    photo, sticker, voice = (await bot.get_updates())[-3:]
    assert photo.message is not None and photo.message.photo and photo.message.caption == "look"
    assert sticker.message is not None and sticker.message.sticker is not None
    assert voice.message is not None and voice.message.voice is not None
    original = tg.push_message("typo")
    tg.push_update(tg.message_update("fixed", edited=True, message_id=original["message"]["message_id"]))
    assert tg.messages(USER)[-1]["text"] == "fixed"
    assert "edited_message" in (await bot.get_updates())[-1].model_dump(exclude_none=True)


async def test_http_level_errors_and_commands(bot: Bot, tg: TelegramEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{tg.base_url}/bot{TOKEN}/fooBar") as resp:
            assert resp.status == 404 and (await resp.json())["description"] == "Not Found"
        async with http.post(f"{tg.base_url}/bot{TOKEN}/sendmessage", data={"chat_id": "5", "text": "x"}) as resp:
            assert resp.status == 200  # method names are case-insensitive
    await bot.set_my_commands([BotCommand(command="ask", description="Ask the AI")])
    assert [c.command for c in await bot.get_my_commands()] == ["ask"]
    assert tg.commands() == [{"command": "ask", "description": "Ask the AI"}]
    assert (await tg.wait_for("setMyCommands"))[0].params["commands"][0]["command"] == "ask"


async def test_wait_for_times_out_with_the_calls_seen(bot: Bot, tg: TelegramEmulator) -> None:
    await bot.send_chat_action(USER, "typing")
    with pytest.raises(AssertionError, match=r"(?s)waiting for 1 sendMessage.*sendChatAction"):
        await tg.wait_for("sendMessage", timeout=0.1)


async def test_webhook_delivery(tg: TelegramEmulator) -> None:
    received: list[tuple[dict[str, object], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.json_response({"method": "sendMessage", "chat_id": USER, "text": "from webhook reply"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        status = await tg.post_update_to(url, tg.message_update("hi"), secret_token="s3cret")
    finally:
        await runner.cleanup()
    assert status == 200
    assert received[0][0]["message"]["text"] == "hi" and received[0][1] == "s3cret"  # type: ignore[index]
    assert tg.messages(USER)[-1]["text"] == "from webhook reply"


async def test_webhook_settings_and_polling_conflicts(bot: Bot, tg: TelegramEmulator) -> None:
    with pytest.raises(TelegramBadRequest, match="An HTTPS URL must be provided"):
        await bot.set_webhook("http://bot.example/hook")
    assert await bot.set_webhook("https://bot.example/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://bot.example/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await poll_pending(tg, tg.poll_generation + 1)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await older


async def test_photo_by_url_is_fetched_from_a_local_server(bot: Bot, tg: TelegramEmulator) -> None:
    async with AiChatsEmulator() as ai, aiohttp.ClientSession() as http:
        ai.image_bytes = png_bytes(300, 200)
        payload = {"type": "image", "messagesHistory": [{"from": "you", "content": "cat"}]}
        async with http.post(f"{ai.base_url}/chat/send2/", json=payload) as resp:
            url = (await resp.json())["data"][0]["url"]
        sent = await bot.send_photo(USER, url)
        ai.fail_next("image_not_image")
        async with http.post(f"{ai.base_url}/chat/send2/", json=payload) as resp:
            bad_url = (await resp.json())["data"][0]["url"]
        with pytest.raises(TelegramBadRequest, match="wrong type of the web page content"):
            await bot.send_photo(USER, bad_url)
    assert sent.photo is not None and [(p.width, p.height) for p in sent.photo] == [(90, 60), (300, 200)]
    assert tg.file_bytes(sent.photo[-1].file_id) == ai.image_bytes
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(USER, "ftp://x/y.png")


async def poll_pending(tg: TelegramEmulator, generation: int) -> None:
    """Wait until the emulator has received getUpdates number ``generation`` (it wakes ``changed`` then)."""
    while tg.poll_generation < generation:
        await tg.changed.wait(None)


async def test_reply_markup_edits_and_button_data_are_checked_like_telegram(bot: Bot, tg: TelegramEmulator) -> None:
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="🔄", callback_data=data)]])

    sent = await bot.send_message(USER, "answer", reply_markup=keyboard("retry:1"))
    assert tg.message(USER, sent.message_id)["reply_markup"] == keyboard("retry:1").model_dump(exclude_none=True)  # type: ignore[index]
    removed = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None)
    assert not isinstance(removed, bool) and removed.reply_markup is None
    assert "reply_markup" not in tg.message(USER, sent.message_id)  # type: ignore[operator]
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=999, reply_markup=None)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=keyboard("x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("é" * 33))
