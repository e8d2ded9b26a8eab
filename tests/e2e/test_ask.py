"""/ask end to end: the answer, the history the provider sees, errors, limits, splitting, restarts."""

from __future__ import annotations

import itertools

from bot import texts
from bot.app import Application
from bot.config import Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed
from tests.telegram_html import telegram_len

from .conftest import GROUP, USER, RunBot, visible


async def test_ask_replies_with_formatted_answer_and_typing(app: Application, tg: TelegramEmulator,
                                                           ai: AiChatsEmulator) -> None:
    ai.answers = ["Hello **there**, <friend>!"]
    question = tg.push_message("/ask Hi")["message"]

    [reply] = await tg.wait_for("sendMessage")

    assert reply.params["text"] == "Hello there, <friend>!"
    assert reply.params["entities"] == [{"type": "bold", "offset": 6, "length": 5}]
    assert "parse_mode" not in reply.params
    assert reply.params["reply_parameters"]["message_id"] == question["message_id"]
    assert ai.chat_prompts == ["Hi"]
    actions = tg.calls_of("sendChatAction")
    assert actions and actions[0].params["action"] == "typing" and actions[0].at <= reply.at


async def test_second_turn_sends_history(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.answers = ["Hello!", "4"]
    tg.push_message("/ask Hi")
    await tg.wait_for("sendMessage")
    tg.push_message("/ask What is 2+2?")
    await tg.wait_for("sendMessage", count=2)

    assert ai.chat_prompts[1] == "User: Hi\nAssistant: Hello!\nUser: What is 2+2?\nAssistant:"


async def test_private_plain_text_and_replies_continue(app: Application, tg: TelegramEmulator,
                                                      ai: AiChatsEmulator) -> None:
    ai.answers = ["one", "two"]
    tg.push_message("first")
    [answer] = await tg.wait_for("sendMessage")
    tg.push_message("second", reply_to_message_id=answer.result["message_id"])
    await tg.wait_for("sendMessage", count=2)

    assert ai.chat_prompts == ["first", "User: first\nAssistant: one\nUser: second\nAssistant:"]


async def test_empty_ask_gets_usage_and_no_request(app: Application, tg: TelegramEmulator,
                                                   ai: AiChatsEmulator) -> None:
    tg.push_message("/ask")
    tg.push_message("/ask    ")
    calls = await tg.wait_for("sendMessage", count=2)

    assert [c.params["text"] for c in calls] == [texts.ask_usage()] * 2
    assert ai.hits == {}


async def test_too_long_question_is_refused_with_the_limit(run_bot: RunBot, settings: Settings,
                                                           tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    async with run_bot(changed(settings, max_prompt_chars=50)):
        tg.push_message("/ask " + "x" * 51)
        [reply] = await tg.wait_for("sendMessage")

    assert reply.params["text"] == texts.too_long(51, 50)
    assert "50" in visible(reply)
    assert ai.hits == {}


async def test_provider_failure_is_reported_and_not_stored(app: Application, tg: TelegramEmulator,
                                                           ai: AiChatsEmulator) -> None:
    ai.fail_next("http_500")
    tg.push_message("/ask Hi")
    [error] = await tg.wait_for("sendMessage")
    ai.answers = ["fine"]
    tg.push_message("/ask Again")
    await tg.wait_for("sendMessage", count=2)

    label = "127.0.0.1"  # the provider names the host it asked
    assert visible(error) == f"The model did not answer: {label} returned HTTP 500. Try again later."
    assert ai.chat_prompts[-1] == "Again"  # the failed turn left no trace in the history


async def test_long_answer_is_split_without_losing_text(app: Application, tg: TelegramEmulator,
                                                        ai: AiChatsEmulator) -> None:
    paragraphs = [f"Paragraph {n}: " + " ".join(f"word{n}x{i}" for i in range(60)) for n in range(18)]
    answer = "\n\n".join(paragraphs)
    assert len(answer) > 10_000
    ai.answers = [answer]
    question = tg.push_message("/ask Tell me everything")["message"]

    await tg.wait_for("sendMessage", count=3)
    assert await app.inflight.drain(10)  # the turn is over: every part was sent
    calls = tg.calls_of("sendMessage")

    shown = [visible(c) for c in calls]
    assert all(telegram_len(text) <= 4096 for text in shown)
    assert " ".join(" ".join(shown).split()) == " ".join(answer.split())
    # Cuts fall between paragraphs, never inside one.
    assert all(text.startswith("Paragraph") and text.rstrip().endswith("x59") for text in shown)
    assert calls[0].params["reply_parameters"]["message_id"] == question["message_id"]
    assert all("reply_parameters" not in c.params for c in calls[1:])


async def test_reset_forgets_the_conversation(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.answers = ["A1", "A2"]
    tg.push_message("/ask Q1")
    await tg.wait_for("sendMessage")
    tg.push_message("/reset")
    [_, done] = await tg.wait_for("sendMessage", count=2)
    tg.push_message("/ask Q2")
    await tg.wait_for("sendMessage", count=3)

    assert done.params["text"] == texts.reset_done()
    assert ai.chat_prompts == ["Q1", "Q2"]


async def test_history_survives_a_restart(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                          ai: AiChatsEmulator) -> None:
    ai.answers = ["Nice to meet you, Bob.", "Bob."]
    async with run_bot(settings):
        tg.push_message("/ask My name is Bob")
        await tg.wait_for("sendMessage")
    async with run_bot(settings):
        tg.push_message("/ask What is my name?")
        await tg.wait_for("sendMessage", count=2)

    assert ai.chat_prompts[1] == (
        "User: My name is Bob\nAssistant: Nice to meet you, Bob.\nUser: What is my name?\nAssistant:"
    )


async def test_history_limit_keeps_the_latest_turns(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                    ai: AiChatsEmulator) -> None:
    ai.answers = ["a1", "a2", "a3"]
    async with run_bot(changed(settings, history_limit=2)):
        for n, question in enumerate(["q1", "q2", "q3"], start=1):
            tg.push_message(f"/ask {question}")
            await tg.wait_for("sendMessage", count=n)

    assert ai.chat_prompts[2] == "User: q2\nAssistant: a2\nUser: q3\nAssistant:"


async def test_slow_chat_does_not_delay_another(app: Application, tg: TelegramEmulator,
                                                ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 4, 0.05
    ai.responder = lambda prompt: "slow " * 20 if "slow" in prompt else "fast"
    tg.push_message("/ask slow please", user_id=1)
    await tg.wait_for("sendMessageDraft", lambda c: c.params["chat_id"] == 1)  # the slow answer is streaming
    tg.push_message("/ask quick one", user_id=2)

    calls = await tg.wait_for("sendMessage", count=2, timeout=10)

    assert [c.params["chat_id"] for c in calls] == [2, 1]


async def test_one_conversation_is_applied_in_order(app: Application, tg: TelegramEmulator,
                                                    ai: AiChatsEmulator) -> None:
    ai.responder = lambda prompt: "answer to " + prompt.rsplit("User: ", 1)[-1].removesuffix("\nAssistant:")
    for n in range(6):
        tg.push_message(f"/ask q{n}")
    await tg.wait_for("sendMessage", count=6, timeout=10)

    # Each turn saw every earlier turn, complete and in the order they were answered.
    prompts = ai.chat_prompts
    assert prompts[1].startswith(f"User: {prompts[0]}\nAssistant: answer to {prompts[0]}\nUser: ")
    for earlier, later in itertools.pairwise(prompts[1:]):
        assert later.startswith(earlier + " answer to ")
    asked = [line.removeprefix("User: ") for line in prompts[-1].splitlines()[::2]]
    assert sorted(asked) == [f"q{n}" for n in range(6)]


async def test_shutdown_waits_for_answers_in_flight(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                    ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 2, 0.05
    ai.answers = ["a slow but complete answer"]
    async with run_bot(settings):
        tg.push_message("/ask Hi")
        await tg.wait_for("sendChatAction")  # the handler is running
    # The polling loop has stopped here; the answer must still have been delivered and stored.
    [reply] = tg.calls_of("sendMessage")
    assert visible(reply) == "a slow but complete answer"
    ai.answers = ["ok"]
    async with run_bot(settings):
        tg.push_message("/ask Again")
        await tg.wait_for("sendMessage", count=2)
    assert ai.chat_prompts[-1].startswith("User: Hi\nAssistant: a slow but complete answer\n")


async def test_private_chat_hints(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    tg.push_update(tg.sticker_update())
    tg.push_message("/frobnicate")
    calls = await tg.wait_for("sendMessage", count=2)

    assert {c.params["text"] for c in calls} == {texts.text_only(), texts.unknown_command("frobnicate")}
    assert all(c.params["chat_id"] == USER for c in calls)
    assert ai.hits == {}


async def test_ask_under_someone_elses_message_brings_it_along(app: Application, tg: TelegramEmulator,
                                                               ai: AiChatsEmulator) -> None:
    ai.answers = ["A summary.", "Friday.", "Noted."]
    group = {"chat_type": "supergroup", "chat_id": GROUP}
    notice = tg.push_message("The meeting moves to Friday.\nBring the slides.", user_id=8, **group)["message"]
    tg.push_message("/ask@TestAiBot summarise this", user_id=7, reply_to_message_id=notice["message_id"], **group)
    [summary] = await tg.wait_for("sendMessage")
    tg.push_message("/ask@TestAiBot", user_id=7, reply_to_message_id=notice["message_id"], **group)
    await tg.wait_for("sendMessage", count=2)
    tg.push_message("/ask@TestAiBot thanks", user_id=7, reply_to_message_id=summary.result["message_id"], **group)
    await tg.wait_for("sendMessage", count=3)

    quoted = "> The meeting moves to Friday.\n> Bring the slides.\n\nsummarise this"
    assert ai.chat_prompts[0] == quoted  # the quoted text, then the question
    # Stored as asked; "/ask" alone asks about the message itself; a reply to the bot quotes nothing.
    assert ai.chat_prompts[1].endswith("User: The meeting moves to Friday.\nBring the slides.\nAssistant:")
    assert ai.chat_prompts[1].startswith(f"User: {quoted}\nAssistant: A summary.")
    assert ai.chat_prompts[2].endswith("\nUser: thanks\nAssistant:")


async def test_a_long_quoted_message_is_cut_not_refused(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                        ai: AiChatsEmulator) -> None:
    long_text = "word " * 400  # 2,000 characters
    async with run_bot(changed(settings, max_prompt_chars=300)):
        original = tg.push_message(long_text, user_id=8, chat_type="supergroup", chat_id=GROUP)["message"]
        tg.push_message("/ask@TestAiBot what is this?", user_id=7, chat_type="supergroup", chat_id=GROUP,
                        reply_to_message_id=original["message_id"])
        await tg.wait_for("sendMessage")

    [prompt] = ai.chat_prompts
    assert len(prompt) <= 300 and prompt.startswith("> word word")
    assert prompt.endswith("…\n\nwhat is this?")
