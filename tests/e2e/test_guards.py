"""Guard rails: access lists, per-user rates, one answer at a time per conversation, /cancel, the global
cap on provider calls, /stats, and the token never reaching a log."""

from __future__ import annotations

import logging

import pytest

from bot import texts
from bot.app import Application
from bot.config import Rate, Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import GROUP, TOKEN, RunBot, not_preview, visible


def guarded(settings: Settings, **guards: object) -> Settings:
    """Guards as given; no streaming, so every answer is exactly one sendMessage."""
    return changed(settings, streaming=False, **guards)


async def test_strangers_get_one_refusal_and_reach_no_provider(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.answers = ["for the friend", "for the admin", "for the group"]
    async with run_bot(guarded(settings, allowed_users=frozenset({7}), admins=frozenset({9}),
                               allowed_chats=frozenset({GROUP}))):
        tg.push_message("/ask let me in", user_id=8)
        tg.push_message("/draw a key", user_id=8)
        tg.push_message("hello?", user_id=8)
        tg.push_message("/ask@TestAiBot me too", chat_type="supergroup", chat_id=-100555, user_id=8)
        tg.push_message("/ask@TestAiBot me three", chat_type="supergroup", chat_id=-100555, user_id=10)
        tg.push_message("/ask hi", user_id=7)
        tg.push_message("/ask hi", user_id=9)
        tg.push_message("/ask@TestAiBot hi", chat_type="supergroup", chat_id=GROUP, user_id=8)
        await tg.wait_for("sendMessage", lambda c: not_preview(c) and
                          not c.params["text"].startswith("Sorry"), count=3)
        calls = tg.calls_of("sendMessage")

    refusals = [c for c in calls if c.params["text"].startswith("Sorry")]
    assert [c.params["chat_id"] for c in refusals] == [8, -100555]  # one per chat, however often asked
    assert refusals[0].params["text"] == texts.not_allowed(8)
    assert sorted(ai.chat_prompts) == ["hi", "hi", "hi"] and ai.image_prompts == []


async def test_rates_are_per_user_and_state_the_wait(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    async with run_bot(guarded(settings, ask_rate=Rate(2, 60), draw_rate=Rate(1, 60), admins=frozenset({9}))) as app:
        for n in range(3):
            tg.push_message(f"/ask q{n}", user_id=1)
            await tg.wait_for("sendMessage", count=n + 1)
        tg.push_message("/draw one", user_id=1)
        await tg.wait_for("sendPhoto")
        tg.push_message("/draw two", user_id=1)
        await tg.wait_for("sendMessage", count=4)
        tg.push_message("/ask again", user_id=1)  # still limited: told once a minute, not every time
        tg.push_message("/draw again", user_id=1)
        tg.push_message("/ask other user", user_id=2)
        for n in range(3):
            tg.push_message(f"/ask admin {n}", user_id=9)
        await tg.wait_for("sendMessage", count=8)
        assert await app.inflight.drain(grace=5)
        assert len(tg.calls_of("sendMessage")) == 8

    texts_sent = [visible(c) for c in tg.calls_of("sendMessage")]
    assert texts_sent[2].startswith("Slow down a little: the limit is 2/min. Try again in ")
    assert texts_sent[3].startswith("Slow down a little: the limit is 1/min. Try again in ")
    wait = int(texts_sent[2].rsplit("in ", 1)[1].removesuffix(" s."))
    assert 1 <= wait <= 60
    assert ai.chat_prompts[:2] == ["q0", "User: q0\nAssistant: Echo: q0\nUser: q1\nAssistant:"]
    assert len(ai.chat_prompts) == 6 and ai.image_prompts == ["one"]  # q2 and "two" never reached it


async def test_second_question_is_queued_and_says_so(app: Application, tg: TelegramEmulator,
                                                     ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 2, 0.1
    ai.answers = ["first answer, slowly", "second"]
    tg.push_message("/ask one")
    await tg.wait_for("sendChatAction")
    tg.push_message("/ask two")
    calls = await tg.wait_for("sendMessage", count=3, timeout=10)

    assert [visible(c) for c in calls] == [texts.queued(), "first answer, slowly", "second"]
    assert ai.chat_prompts[1] == "User: one\nAssistant: first answer, slowly\nUser: two\nAssistant:"


async def test_cancel_stops_the_answer_and_keeps_nothing(app: Application, tg: TelegramEmulator,
                                                         ai: AiChatsEmulator) -> None:
    tg.push_message("/cancel")
    [nothing] = await tg.wait_for("sendMessage")
    ai.chunk_size, ai.chunk_delay = 2, 0.1
    ai.answers = ["a long answer that will never be finished", "fresh"]
    tg.push_message("/ask slow")
    await tg.wait_for("sendMessageDraft")
    tg.push_message("/cancel")
    [_, cancelled] = await tg.wait_for("sendMessage", count=2)
    ai.chunk_delay = 0
    tg.push_message("/ask again")
    calls = await tg.wait_for("sendMessage", count=3)

    assert nothing.params["text"] == texts.nothing_to_cancel()
    assert cancelled.params["text"] == texts.cancelled()
    assert visible(calls[2]) == "fresh"
    assert ai.chat_prompts == ["slow", "again"]  # the cancelled turn was not stored


async def test_global_cap_queues_provider_calls(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 4, 0.05
    ai.responder = lambda prompt: f"answer for {prompt} " * 3
    async with run_bot(guarded(settings, max_concurrent_requests=1)):
        tg.push_message("/ask a", user_id=1)
        tg.push_message("/ask b", user_id=2)
        finals = await tg.wait_for("sendMessage", count=2, timeout=10)

    assert sorted(visible(c) for c in finals) == ["answer for a answer for a answer for a",
                                                  "answer for b answer for b answer for b"]
    first, second = sorted(ai.requests, key=lambda r: r.at)
    streaming = (len("answer for a " * 3) // 4 - 1) * 0.05  # 10 chunks, 0.05 s apart
    assert second.at - first.at >= streaming - 0.02  # the second call started only once the first stream ended


async def test_stats_for_admins_only(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                     ai: AiChatsEmulator) -> None:
    async with run_bot(guarded(settings, admins=frozenset({9}))) as app:
        tg.push_message("/ask one", user_id=1)
        await tg.wait_for("sendMessage")
        tg.push_message("/ask@TestAiBot two", chat_type="supergroup", chat_id=GROUP, user_id=1)
        await tg.wait_for("sendMessage", not_preview, count=2)
        assert await app.inflight.drain(grace=5)  # both turns are stored, not just sent
        tg.push_message("/stats", user_id=1)
        tg.push_message("/stats", user_id=9)
        calls = await tg.wait_for("sendMessage", lambda c: "stats" in c.params["text"].lower()
                                  or "Stored" in c.params["text"], count=2)

    by_chat = {c.params["chat_id"]: visible(c) for c in calls}
    assert by_chat[1] == texts.admins_only()
    assert by_chat[9] == (
        "Stored\n2 conversations, 4 messages\n\nProviders since start\n127.0.0.1: 2 requests, 0 errors\n\n"
        "Tokens today\n1: 8"  # ai-chats.org counts none: estimated at 4 characters a token
    )


async def test_the_token_never_reaches_a_log(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                             ai: AiChatsEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with run_bot(settings):
        tg.fail_next("sendMessage", status=500)
        tg.drop_next("getUpdates")
        ai.fail_next("http_500")
        tg.push_message("/ask fail")
        await tg.wait_for("sendMessage", count=2, timeout=10)
        tg.push_message("/draw x")
        await tg.wait_for("sendPhoto", timeout=10)

    records = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "sendMessage" in records or "SendMessage" in records  # the run did log its failures
    assert TOKEN not in records and TOKEN.split(":")[1] not in records
