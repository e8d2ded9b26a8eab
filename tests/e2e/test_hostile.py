"""Hostile and broken input, one case each: a clear reply (or a deliberate silence), and a store that still
holds exactly what it held, plus the turns that were really answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot import texts
from bot.config import Rate, Settings
from bot.storage import ConversationKey, Turn
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import GROUP, USER, RunBot, visible

Push = Callable[[TelegramEmulator], object]
Prepare = Callable[[AiChatsEmulator, TelegramEmulator], object]
HOSTILE_ANSWER = "a sane answer"


@dataclass(frozen=True)
class Case:
    id: str
    push: Push
    reply: str | None  # the reply's visible text (a prefix when `prefix`), or None for deliberate silence
    prefix: bool = False
    prepare: Prepare = field(default=lambda ai, tg: None)
    stored_question: str | None = None  # when the hostile turn was answered: the question stored for it


def ask(text: str, **kwargs: object) -> Push:
    return lambda tg: tg.push_message(text, **kwargs)


def ai_fault(mode: str) -> Prepare:
    return lambda ai, tg: ai.fail_next(mode)  # type: ignore[arg-type]


def image_url(url: str) -> Prepare:
    return lambda ai, tg: setattr(ai, "image_url", url)


def tg_fault(method: str, **kwargs: object) -> Prepare:
    return lambda ai, tg: tg.fail_next(method, **kwargs)  # type: ignore[arg-type]


MODEL_FAILED = "The model did not answer: "
DRAW_FAILED = "I could not draw that: "
GROUP_CHAT = {"chat_type": "supergroup", "chat_id": GROUP}

CASES = [
    # Input
    Case("empty ask", ask("/ask"), texts.ask_usage()),
    Case("whitespace only", ask("/ask   \n\t  "), texts.ask_usage()),
    Case("zero-width only", ask("/ask \u200b\u200c\u2060\ufeff"), texts.ask_usage()),
    Case("100,000 characters", ask("x" * 100_000), texts.too_long(100_000, 4000)),
    Case("right-to-left", ask("/ask \u05e9\u05dc\u05d5\u05dd \u202bעולם\u202c?"), HOSTILE_ANSWER,
         stored_question="\u05e9\u05dc\u05d5\u05dd \u202bעולם\u202c?"),
    Case("emoji", ask("/ask 👨‍👩‍👧 🇺🇦 ❤️?"), HOSTILE_ANSWER, stored_question="👨‍👩‍👧 🇺🇦 ❤️?"),
    Case("NUL and control characters", ask("/ask a\x00b\x07c"), HOSTILE_ANSWER, stored_question="abc"),
    Case("ask addressed to another bot", ask("/ask@OtherBot hi"), None),
    Case("edited message", lambda tg: tg.push_update(tg.message_update("/ask edited", edited=True, message_id=1)),
         None),
    # ai-chats.org alone can neither see nor listen: a photo or a voice message is told so (no request)
    Case("photo without caption", lambda tg: tg.push_update(tg.photo_update()), texts.no_vision()),
    Case("photo in a group", lambda tg: tg.push_update(tg.photo_update(**GROUP_CHAT)), None),
    Case("sticker", lambda tg: tg.push_update(tg.sticker_update()), texts.text_only()),
    Case("voice", lambda tg: tg.push_update(tg.voice_update()), texts.transcription_off()),
    Case("channel post", ask("/ask hi", chat_type="channel", chat_id=-100777), None),
    Case("unknown command", ask("/frobnicate now"), texts.unknown_command("frobnicate")),
    Case("unknown command in a group", ask("/frobnicate", **GROUP_CHAT), None),
    Case("plain text in a group", ask("anyone there?", **GROUP_CHAT), None),
    Case("draw with invisible prompt", ask("/draw \u200b"), texts.draw_options_help()),
    Case("draw prompt too long", ask("/draw " + "y" * 5000), texts.too_long(5000, 4000)),
    # Provider
    Case("provider HTTP 500", ask("/ask q"), MODEL_FAILED + "127.0.0.1 returned HTTP 500", True,
         ai_fault("http_500")),
    Case("provider HTTP 429", ask("/ask q"), MODEL_FAILED, True,
         lambda ai, tg: (setattr(ai, "status", 429), ai.fail_next("http_500"))),
    Case("provider answers a web page", ask("/ask q"), MODEL_FAILED, True, ai_fault("non_json")),
    Case("stream cut midway", ask("/ask q"), MODEL_FAILED, True, ai_fault("truncated")),
    Case("endless slow stream", ask("/ask q"), MODEL_FAILED + "127.0.0.1 timed out", True,
         ai_fault("slow_endless")),
    Case("empty answer", ask("/ask q"), MODEL_FAILED, True, ai_fault("empty")),
    Case("connection reset", ask("/ask q"), MODEL_FAILED, True, ai_fault("reset")),
    Case("image 404", ask("/draw x"), DRAW_FAILED, True, ai_fault("image_404")),
    Case("image bytes that are no image", ask("/draw x"), DRAW_FAILED, True, ai_fault("image_not_image")),
    Case("30 MB image", ask("/draw x"), DRAW_FAILED + "the image is larger than 20 MB", True,
         lambda ai, tg: setattr(ai, "image_bytes", b"\x89PNG\r\n\x1a\n" + bytes(30 * 1024 * 1024))),
    Case("file:// image URL", ask("/draw x"), DRAW_FAILED, True, image_url("file:///etc/passwd")),
    Case("ftp:// image URL", ask("/draw x"), DRAW_FAILED, True, image_url("ftp://example.org/x.png")),
    Case("no image in the answer", ask("/draw x"), DRAW_FAILED, True, ai_fault("no_data")),
    # Telegram
    Case("429 on send", ask("/ask q"), HOSTILE_ANSWER, prepare=tg_fault("sendMessage", status=429, retry_after=1),
         stored_question="q"),
    Case("message is too long", ask("/ask q"), texts.internal_error(),
         prepare=tg_fault("sendMessage", status=400, description="Bad Request: message is too long")),
    Case("5xx on getUpdates", ask("/ask q"), HOSTILE_ANSWER, prepare=tg_fault("getUpdates", status=502),
         stored_question="q"),
    Case("connection dropped mid-poll", ask("/ask q"), HOSTILE_ANSWER,
         prepare=lambda ai, tg: tg.drop_next("getUpdates"), stored_question="q"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_hostile_input(case: Case, run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                             ai: AiChatsEmulator) -> None:
    settings = changed(settings, streaming=False, provider_timeout=1.5)
    key = ConversationKey(USER, 0)
    async with run_bot(settings) as app:
        ai.answers = ["seed answer"]
        tg.push_message("/ask seed")
        await tg.wait_for("sendMessage")
        ai.answers = [HOSTILE_ANSWER]

        case.prepare(ai, tg)
        case.push(tg)
        sent = 2 if case.reply is not None else 1
        if case.reply is not None:
            calls = await tg.wait_for("sendMessage", lambda c: c.ok, count=2, timeout=15)
            shown = visible(calls[1])
            assert shown.startswith(case.reply) if case.prefix else shown == visible(case.reply)
        ai.mode, ai.image_url, ai.answers = "ok", None, ["pong"]
        tg.push_message("/ask ping")
        calls = await tg.wait_for("sendMessage", lambda c: c.ok, count=sent + 1, timeout=15)

        assert visible(calls[-1]) == "pong"
        assert len([c for c in tg.calls_of("sendMessage") if c.ok]) == sent + 1  # nothing else was said
        assert tg.calls_of("sendPhoto") == [] and tg.calls_of("sendDocument") == []
        assert await app.inflight.drain(grace=5)  # the last turn is stored, not just sent
        expected = [Turn("user", "seed"), Turn("assistant", "seed answer")]
        if case.stored_question is not None:
            expected += [Turn("user", case.stored_question), Turn("assistant", HOSTILE_ANSWER)]
        expected += [Turn("user", "ping"), Turn("assistant", "pong")]
        assert await app.store.get(key) == expected
        assert await app.store.get(ConversationKey(GROUP, 0)) == []


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


async def test_provider_connection_refused(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                           unused_tcp_port: int) -> None:
    settings = changed(settings, aichats_url=f"http://127.0.0.1:{unused_tcp_port}")
    async with run_bot(settings) as app:
        tg.push_message("/ask anyone?")
        [reply] = await tg.wait_for("sendMessage")
        assert await app.inflight.drain(grace=5)
        assert await app.store.get(ConversationKey(USER, 0)) == []

    assert visible(reply).startswith(MODEL_FAILED + "127.0.0.1")
    assert "unreachable" in visible(reply)


async def test_200_concurrent_questions_in_one_conversation(run_bot: RunBot, settings: Settings,
                                                            tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.responder = lambda prompt: "re " + prompt.rsplit("User: ", 1)[-1].removesuffix("\nAssistant:")
    settings = changed(settings, streaming=False, history_limit=1000, ask_rate=Rate(1000, 60))
    async with run_bot(settings) as app:
        for n in range(200):
            tg.push_message(f"/ask q{n}")
        answers = await tg.wait_for("sendMessage", lambda c: c.params["text"].startswith("re "), count=200, timeout=60)
        assert await app.inflight.drain(grace=10)
        stored = await app.store.get(ConversationKey(USER, 0))

    questions = [t.content for t in stored[0::2]]
    assert sorted(questions) == sorted(f"q{n}" for n in range(200))  # every turn once
    assert [t.content for t in stored[1::2]] == [f"re {q}" for q in questions]  # each answer after its question
    assert [visible(a) for a in answers] == [f"re {q}" for q in questions]  # in the order answered
