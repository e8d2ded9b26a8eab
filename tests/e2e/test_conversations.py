"""Conversations people steer, end to end: personas, the model pick, /retry and 🔄, per-member group
history, a history that fits HISTORY_CHARS (and one shorter retry), token usage and DAILY_TOKENS.

The emulated OpenAI server shows the exact payload of every turn; the emulated Bot API the exact buttons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from bot.config import Settings
from bot.storage import ConversationKey, Turn
from tests.emulators import TelegramEmulator
from tests.emulators.openai import OpenAIEmulator, token_count
from tests.emulators.tg_models import ApiCall
from tests.settings import changed

from .conftest import GROUP, USER, RunBot, visible

KEY = "sk-test-0123456789abcdef"
IN_GROUP: dict[str, Any] = {"chat_type": "supergroup", "chat_id": GROUP}
LONG_MODEL = "openrouter/meta-llama/llama-3.3-70b-instruct:free-with-a-very-long-name-indeed"


@pytest.fixture
async def oa() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(api_key=KEY) as emulator:
        yield emulator


def on_openai(settings: Settings, oa: OpenAIEmulator, **extra: object) -> Settings:
    """One OpenAI-compatible provider, no previews: every answer is one sendMessage."""
    options: dict[str, object] = {"streaming": False, **extra}
    return changed(settings, provider_names=("openai",), openai_base_url=oa.base_url, openai_api_key=KEY,
                   openai_image_model="img-1", **options)


async def replies(tg: TelegramEmulator, count: int) -> list[ApiCall]:
    return await tg.wait_for("sendMessage", count=count)


def buttons(call: ApiCall) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def press(tg: TelegramEmulator, call: ApiCall, data: str, **kwargs: Any) -> str:
    """Press the button `data` under the message `call` sent; returns the callback query id."""
    update = tg.callback_query_update(data, message_id=call.result["message_id"],
                                      chat_id=call.params["chat_id"], **kwargs)
    tg.push_update(update)
    return str(update["callback_query"]["id"])


async def answered(tg: TelegramEmulator, query: str) -> dict[str, Any]:
    await tg.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    return dict(tg.store.callback_queries[query]["answer"])


# ---- personas


async def test_persona_set_in_a_dm_starts_the_next_payload_and_reset_returns_to_system_prompt(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(on_openai(settings, oa, system_prompt="Be terse.")):
        tg.push_message("/persona You are a pirate.\nSay arr.")
        await replies(tg, 1)
        tg.push_message("/ask hi")
        await replies(tg, 2)
        tg.push_message("/persona")
        await replies(tg, 3)
        tg.push_message("/persona reset")
        await replies(tg, 4)
        tg.push_message("/ask again")
        await replies(tg, 5)
        tg.push_message("/persona " + "x" * 2001)
        calls = await replies(tg, 6)

    assert visible(calls[0]) == visible(texts.persona_set())
    assert oa.chat_messages[0][0] == {"role": "system", "content": "You are a pirate.\nSay arr."}
    assert "You are a pirate.\nSay arr." in visible(calls[2])
    assert visible(calls[3]) == visible(texts.persona_reset())
    assert oa.chat_messages[1][0] == {"role": "system", "content": "Be terse."}
    assert visible(calls[5]) == visible(texts.too_long(2001, 2000))
    assert len(oa.chat_messages) == 2


async def test_in_a_group_only_admins_change_the_persona(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.store.set_member(GROUP, 7, "administrator")
    async with run_bot(on_openai(settings, oa)):
        tg.push_message("/persona@TestAiBot Speak French.", user_id=8, **IN_GROUP)
        await replies(tg, 1)
        tg.push_message("/ask@TestAiBot one", user_id=8, **IN_GROUP)
        await replies(tg, 2)
        tg.push_message("/persona@TestAiBot Speak German.", user_id=7, **IN_GROUP)
        await replies(tg, 3)
        tg.push_message("/ask@TestAiBot two", user_id=8, **IN_GROUP)
        calls = await replies(tg, 4)

    assert visible(calls[0]) == texts.admins_steer()
    assert oa.chat_messages[0][0]["role"] == "user"  # the refused persona was never used
    assert visible(calls[2]) == visible(texts.persona_set())
    assert oa.chat_messages[1][0] == {"role": "system", "content": "Speak German."}


async def test_a_preset_button_sets_its_prompt_and_a_non_admin_press_is_refused(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    personas = {"Pirate": "Talk like a pirate.", "Poet": "Answer in rhyme."}
    tg.store.set_member(GROUP, 7, "administrator")
    async with run_bot(on_openai(settings, oa, personas=personas)):
        tg.push_message("/persona")
        [menu] = await replies(tg, 1)
        refused = press(tg, menu, buttons(menu)[1]["callback_data"], chat_type="private")
        poet = await answered(tg, refused)
        tg.push_message("/ask hello")
        await replies(tg, 2)
        tg.push_message("/persona@TestAiBot", user_id=8, **IN_GROUP)
        group_menu = (await replies(tg, 3))[-1]
        by_member = await answered(tg, press(tg, group_menu, buttons(group_menu)[0]["callback_data"], user_id=8,
                                             chat_type="supergroup"))
        by_admin = await answered(tg, press(tg, group_menu, buttons(group_menu)[0]["callback_data"], user_id=7,
                                            chat_type="supergroup"))
        tg.push_message("/ask@TestAiBot ahoy", user_id=8, **IN_GROUP)
        await replies(tg, 4)

    assert [b["text"] for b in buttons(menu)] == ["Pirate", "Poet", texts.default_choice()]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(menu))
    assert poet == {"text": texts.persona_picked("Poet"), "show_alert": False, "url": None}
    assert oa.chat_messages[0][0] == {"role": "system", "content": "Answer in rhyme."}
    assert by_member["text"] == texts.admins_steer() and by_member["show_alert"]
    assert by_admin["text"] == texts.persona_picked("Pirate")
    assert oa.chat_messages[1][0] == {"role": "system", "content": "Talk like a pirate."}


# ---- the model


async def test_a_model_button_makes_the_next_request_name_that_model(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(on_openai(settings, oa, openai_models=("m1", LONG_MODEL))):
        tg.push_message("/ask before")
        await replies(tg, 1)
        tg.push_message("/model")
        [_, menu] = await replies(tg, 2)
        toast = await answered(tg, press(tg, menu, buttons(menu)[1]["callback_data"]))
        tg.push_message("/ask after")
        await replies(tg, 3)
        tg.push_message("/model")
        calls = await replies(tg, 4)

    assert [b["text"] for b in buttons(menu)] == ["✓ m1", LONG_MODEL]
    assert visible(texts.model_choice("m1")) in visible(menu)
    assert toast["text"] == texts.model_picked(LONG_MODEL)
    assert [r.json["model"] for r in oa.requests if r.type == "chat"] == ["m1", LONG_MODEL]
    assert visible(texts.model_choice(LONG_MODEL)) in visible(calls[3])
    assert [b["text"] for b in buttons(calls[3])] == ["m1", f"✓ {LONG_MODEL}"]


# ---- /retry and 🔄


async def test_retry_and_the_button_replace_the_stored_answer_and_an_old_button_is_refused(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.answers = ["A1", "A2", "A3", "A4"]
    async with run_bot(on_openai(settings, oa)):
        tg.push_message("/ask question?")
        [first] = await replies(tg, 1)
        tg.push_message("/retry")
        second = (await replies(tg, 2))[-1]
        await tg.wait_for("editMessageReplyMarkup")  # the 🔄 left the first answer
        old = await answered(tg, press(tg, first, buttons(first)[0]["callback_data"]))
        toast = await answered(tg, press(tg, second, buttons(second)[0]["callback_data"]))
        third = (await replies(tg, 3))[-1]
        tg.push_message("/ask next")
        await replies(tg, 4)

    question = {"role": "user", "content": "question?"}
    assert [visible(c) for c in (first, second, third)] == ["A1", "A2", "A3"]
    assert [b["text"] for b in buttons(first)] == ["🔄"] and buttons(second) and buttons(third)
    assert tg.message(USER, first.result["message_id"]).get("reply_markup") is None  # type: ignore[union-attr]
    assert tg.message(USER, second.result["message_id"]).get("reply_markup") is None  # type: ignore[union-attr]
    assert old == {"text": texts.retry_not_latest(), "show_alert": True, "url": None}
    assert toast["text"] == texts.retrying()
    assert oa.chat_messages[:3] == [[question]] * 3  # each time the same question, without its old answer
    assert oa.chat_messages[3] == [question, {"role": "assistant", "content": "A3"},
                                   {"role": "user", "content": "next"}]


async def test_buttons_under_messages_telegram_no_longer_shows_are_refused_and_change_nothing(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    """Telegram sends an InaccessibleMessage (its chat, its id, date 0) for a button under a message the bot
    can no longer see: 🔄, a persona and a model pressed there each get an alert, and nothing changes."""
    oa.answers = ["A1", "A2"]
    async with run_bot(on_openai(settings, oa, personas={"Pirate": "Arr."}, openai_models=("m1", "m2"))):
        tg.push_message("/ask hi")
        [answer] = await replies(tg, 1)
        tg.push_message("/persona")
        persona_menu = (await replies(tg, 2))[-1]
        tg.push_message("/model")
        model_menu = (await replies(tg, 3))[-1]
        alerts = [await answered(tg, press(tg, menu, buttons(menu)[-1]["callback_data"], inaccessible=True))
                  for menu in (answer, persona_menu, model_menu)]
        tg.push_message("/ask again")
        await replies(tg, 4)

    assert [(a["text"], a["show_alert"]) for a in alerts] == [
        (texts.retry_not_latest(), True), (texts.option_gone(), True), (texts.option_gone(), True)]
    assert [r.json["model"] for r in oa.requests if r.type == "chat"] == ["m1", "m1"]  # not retried, same model
    assert oa.chat_messages[1][0] == {"role": "user", "content": "hi"}  # no persona


async def test_retry_after_a_failed_answer_asks_the_failed_question(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.answers = ["first", "second"]
    async with run_bot(on_openai(settings, oa)):
        tg.push_message("/retry")
        await replies(tg, 1)
        tg.push_message("/ask one")
        await replies(tg, 2)
        oa.fail_next(500)  # the chain's one member: the failure reaches the user
        tg.push_message("/ask two")
        failed = (await replies(tg, 3))[-1]
        tg.push_message("/retry")
        await replies(tg, 4)
        tg.push_message("/ask three")
        calls = await replies(tg, 5)

    assert visible(calls[0]) == texts.nothing_to_retry()
    assert "did not answer" in visible(failed) and not buttons(failed)
    chats = oa.chat_messages
    assert chats[-2] == [{"role": "user", "content": "one"}, {"role": "assistant", "content": "first"},
                         {"role": "user", "content": "two"}]
    assert [m["content"] for m in chats[-1]] == ["one", "first", "two", "second", "three"]


# ---- per-member history in groups


async def test_per_user_groups_keep_a_history_per_member_and_reset_only_ones_own(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.responder = lambda messages: f"re {messages[-1]['content']}"
    async with run_bot(on_openai(settings, oa, group_history="per_user")):
        for n, (user, text) in enumerate([(7, "seven-1"), (8, "eight-1"), (7, "seven-2")], start=1):
            tg.push_message(f"/ask@TestAiBot {text}", user_id=user, **IN_GROUP)
            await replies(tg, n)
        tg.push_message("/reset@TestAiBot", user_id=7, **IN_GROUP)
        await replies(tg, 4)
        tg.push_message("/ask@TestAiBot seven-3", user_id=7, **IN_GROUP)
        await replies(tg, 5)
        tg.push_message("/ask@TestAiBot eight-2", user_id=8, **IN_GROUP)
        await replies(tg, 6)

    contents = [[m["content"] for m in chat] for chat in oa.chat_messages]
    assert contents == [
        ["seven-1"], ["eight-1"], ["seven-1", "re seven-1", "seven-2"],
        ["seven-3"], ["eight-1", "re eight-1", "eight-2"],
    ]


# ---- a history that fits


async def test_thirty_long_turns_are_cut_to_history_chars_whole_and_newest_first(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    stored = [Turn(role, f"{role} {n} " + "x" * 380) for n in range(30) for role in ("user", "assistant")]
    async with run_bot(on_openai(settings, oa, history_limit=60, history_chars=4000,
                                 system_prompt="Be terse.")) as app:
        await app.store.append(ConversationKey(USER), stored)
        tg.push_message("/ask the question")
        await replies(tg, 1)

    [sent] = oa.chat_messages
    assert sum(len(m["content"]) for m in sent) <= 4000
    assert sent[0]["content"] == "Be terse." and sent[-1] == {"role": "user", "content": "the question"}
    history = sent[1:-1]
    assert history == [turn.as_message() for turn in stored[-len(history):]]  # the newest, in order
    assert history[0]["role"] == "user" and len(history) % 2 == 0  # whole exchanges
    older = stored[-len(history) - 2 : -len(history)]  # the next exchange would not have fitted
    assert sum(len(m["content"]) for m in sent) + sum(len(t.content) for t in older) > 4000


async def test_a_context_length_error_retries_once_with_half_the_history_and_says_so(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    stored = [Turn(role, f"{role} {n}") for n in range(4) for role in ("user", "assistant")]
    async with run_bot(on_openai(settings, oa)) as app:
        await app.store.append(ConversationKey(USER), stored)
        oa.fail_next("context_window")
        tg.push_message("/ask q")
        notice, answer = await replies(tg, 2)
        oa.fail_next("context_window", times=2)
        tg.push_message("/ask q2")
        *_, notice_again, refusal = await replies(tg, 4)

    first, shorter, *later = oa.chat_messages
    assert len(first) == 9 and shorter == first[4:]  # the newer two of four exchanges, and the question
    assert visible(notice) == texts.history_shortened() and visible(answer) == "Echo: q"
    assert len(later) == 2  # once more, and no further
    assert visible(notice_again) == texts.history_shortened() and "send /reset" in visible(refusal)


# ---- usage


async def test_usage_is_counted_from_the_servers_usage_chunk_or_estimated(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(on_openai(settings, oa, admins=frozenset({USER}))):
        tg.push_message("/ask how many words")
        await replies(tg, 1)
        tg.push_message("/usage")
        counted = (await replies(tg, 2))[-1]
        oa.send_usage = False
        tg.push_message("/ask sixteen chars")
        await replies(tg, 3)
        tg.push_message("/usage")
        estimated = (await replies(tg, 4))[-1]
        tg.push_message("/stats")
        stats = (await replies(tg, 5))[-1]

    first = token_count([{"role": "user", "content": "how many words"}], "Echo: how many words")["total_tokens"]
    sent = sum(len(m["content"]) for m in oa.chat_messages[1])
    second = -(-sent // 4) + -(-len("Echo: sixteen chars") // 4)
    assert visible(counted) == visible(texts.usage(first, None, _midnight()))
    assert visible(estimated) == visible(texts.usage(first + second, None, _midnight()))
    assert f"{USER}: {first + second}" in visible(stats)


async def test_daily_tokens_refuse_with_the_reset_time_and_admins_are_exempt(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    async with run_bot(on_openai(settings, oa, daily_tokens=5, admins=frozenset({99}))):
        tg.push_message("/ask spend them")
        first = (await replies(tg, 1))[-1]
        tg.push_message("/ask one more")
        refused = (await replies(tg, 2))[-1]
        refused_retry = await answered(tg, press(tg, first, buttons(first)[0]["callback_data"]))
        tg.push_message("/ask admin", user_id=99)
        tg.push_message("/ask admin again", user_id=99)
        await replies(tg, 4)

    assert visible(refused) == texts.tokens_exhausted(5, _midnight())
    assert visible(refused).endswith("You can ask again after 00:00 UTC.")
    assert refused_retry == {"text": texts.tokens_exhausted(5, _midnight()), "show_alert": True, "url": None}
    assert [chat[-1]["content"] for chat in oa.chat_messages] == ["spend them", "admin", "admin again"]


def _midnight() -> Any:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


# ---- settings kept


async def test_settings_survive_a_restart(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    configured = on_openai(settings, oa, openai_models=("m1", "m2"))
    async with run_bot(configured):
        tg.push_message("/persona Kept.")
        await replies(tg, 1)
        tg.push_message("/model")
        [_, menu] = await replies(tg, 2)
        await answered(tg, press(tg, menu, buttons(menu)[1]["callback_data"]))
    async with run_bot(configured):
        tg.push_message("/ask still?")
        await replies(tg, 3)

    [request] = [r for r in oa.requests if r.type == "chat"]
    assert request.json["model"] == "m2" and request.json["messages"][0]["content"] == "Kept."


async def test_the_button_is_on_the_last_part_of_the_final_answer_never_on_a_preview(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.chunk_size, oa.chunk_delay = 400, 0.05  # long enough for previews, then two parts
    oa.answers = [" ".join(f"word{n}" for n in range(1000))]
    async with run_bot(on_openai(settings, oa, streaming=True, edit_interval=0.1)):
        tg.push_message("/ask@TestAiBot long", **IN_GROUP)
        await tg.wait_for("sendMessage", lambda c: bool(buttons(c)))

    sent = tg.calls_of("sendMessage") + tg.calls_of("editMessageText")
    previews = [c for c in sent if "entities" not in c.params]
    finals = [c for c in tg.calls_of("sendMessage") if "entities" in c.params]
    assert previews and not any(buttons(c) for c in previews)
    assert len(finals) == 1 and buttons(finals[0])  # the second part, sent after the first replaced the preview
    [first_part] = [c for c in tg.calls_of("editMessageText") if "entities" in c.params]
    assert not buttons(first_part)


async def test_in_a_group_only_admins_pick_the_model(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    tg.store.set_member(GROUP, 7, "administrator")
    async with run_bot(on_openai(settings, oa, openai_models=("m1", "m2"))):
        tg.push_message("/model@TestAiBot", user_id=8, **IN_GROUP)
        [menu] = await replies(tg, 1)
        by_member = await answered(tg, press(tg, menu, buttons(menu)[1]["callback_data"], user_id=8,
                                             chat_type="supergroup"))
        tg.push_message("/ask@TestAiBot one", user_id=8, **IN_GROUP)
        await replies(tg, 2)
        by_admin = await answered(tg, press(tg, menu, buttons(menu)[1]["callback_data"], user_id=7,
                                            chat_type="supergroup"))
        tg.push_message("/ask@TestAiBot two", user_id=8, **IN_GROUP)
        await replies(tg, 3)

    assert by_member == {"text": texts.admins_steer(), "show_alert": True, "url": None}
    assert by_admin["text"] == texts.model_picked("m2")
    assert [r.json["model"] for r in oa.requests if r.type == "chat"] == ["m1", "m2"]


async def test_per_user_cancel_stops_only_your_own_answer(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, oa: OpenAIEmulator
) -> None:
    oa.chunk_size, oa.chunk_delay = 2, 0.05
    oa.answers = ["a slow answer that goes on for a good while"]
    async with run_bot(on_openai(settings, oa, group_history="per_user")):
        tg.push_message("/ask@TestAiBot slow", user_id=7, **IN_GROUP)
        await tg.wait_for("sendChatAction")
        tg.push_message("/cancel@TestAiBot", user_id=8, **IN_GROUP)  # 8 has nothing running
        nothing = (await replies(tg, 1))[-1]
        tg.push_message("/cancel@TestAiBot", user_id=7, **IN_GROUP)
        await tg.wait_for("sendMessage", lambda c: visible(c) == texts.cancelled())

    assert visible(nothing) == texts.nothing_to_cancel()
