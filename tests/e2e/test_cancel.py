"""/cancel in the middle of an answer sent in several messages: what is on screen stays, nothing is stored."""

from __future__ import annotations

from bot import texts
from bot.config import Settings
from bot.storage import ConversationKey
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import USER, RunBot, visible

PART = "word " * 700  # ~3,500 characters: one message each


async def test_cancel_during_a_multi_part_answer_says_it_stopped_and_stores_nothing(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.answers = ["\n\n".join(f"Part {n}. {PART}" for n in range(1, 5)), "fresh"]
    async with run_bot(changed(settings, streaming=False)) as app:
        tg.latency = 1.0  # each part takes a second to send: /cancel arrives between parts
        tg.push_message("/ask long")
        await tg.wait_for("sendMessage", lambda c: "Part 1." in c.params["text"], timeout=15)
        tg.push_message("/cancel")
        await tg.wait_for("sendMessage", lambda c: c.params["text"] == texts.cancelled(), timeout=15)
        assert await app.inflight.drain(10)
        tg.latency = 0.0
        parts = [c for c in tg.calls_of("sendMessage") if "Part " in c.params["text"]]
        assert 1 <= len(parts) < 4  # what was sent stays on screen; the rest never went out
        assert await app.store.get(ConversationKey(USER)) == []
        tg.push_message("/ask again")
        fresh = await tg.wait_for("sendMessage", lambda c: visible(c.params["text"]) == "fresh", timeout=15)

    assert fresh
    assert ai.chat_prompts == ["long", "again"]  # the stopped answer is not in the next payload
    [stopped] = [c for c in tg.calls_of("sendMessage") if c.params["text"] == texts.cancelled()]
    assert not [c for c in tg.calls_of("sendMessage") if c.params["text"] == texts.nothing_to_cancel()]
    assert not [c for c in tg.calls_of("sendMessage") if "Part 4." in c.params["text"]]
    assert stopped.params["reply_parameters"]["message_id"] == parts[0].params["reply_parameters"]["message_id"]
