"""Groups and forum topics: addressing rules, shared history, replies to the bot, topic threads."""

from __future__ import annotations

from bot import texts
from bot.app import Application
from tests.emulators import AiChatsEmulator, TelegramEmulator

from .conftest import GROUP, visible


async def test_start_explains_groups_and_commands_are_registered(app: Application, tg: TelegramEmulator) -> None:
    tg.push_message("/start")
    [help_message] = await tg.wait_for("sendMessage")

    assert "/ask@TestAiBot" in visible(help_message)
    assert [c["command"] for c in tg.commands()] == [
        "ask", "retry", "draw", "reset", "cancel", "persona", "model", "usage", "help",
    ]


async def test_group_addressing_rules(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.answers = ["for us"]
    group = {"chat_type": "supergroup", "chat_id": GROUP}
    tg.push_message("/ask@OtherBot not for us", **group)
    tg.push_message("just chatting", **group)
    tg.push_message("/draw@OtherBot nope", **group)
    tg.push_message("/help@OtherBot", **group)
    tg.push_message("/ask@TestAiBot hello", user_id=7, **group)

    [reply] = await tg.wait_for("sendMessage")

    assert visible(reply) == "for us"
    assert ai.chat_prompts == ["hello"]
    assert tg.calls_of("sendPhoto") == []


async def test_group_shares_history_and_replies_continue(app: Application, tg: TelegramEmulator,
                                                         ai: AiChatsEmulator) -> None:
    ai.answers = ["Paris.", "About 2.1 million."]
    group = {"chat_type": "supergroup", "chat_id": GROUP}
    tg.push_message("/ask@TestAiBot Capital of France?", user_id=7, **group)
    [answer] = await tg.wait_for("sendMessage")
    tg.push_message("Population?", user_id=8, reply_to_message_id=answer.result["message_id"], **group)
    await tg.wait_for("sendMessage", count=2)

    assert ai.chat_prompts[1] == (
        "User: Capital of France?\nAssistant: Paris.\nUser: Population?\nAssistant:"
    )


async def test_forum_topics_have_their_own_history(app: Application, tg: TelegramEmulator,
                                                   ai: AiChatsEmulator) -> None:
    ai.answers = ["t5", "t7", "t5 again"]
    tg.push_message("/ask in five", chat_type="supergroup", chat_id=GROUP, thread_id=5)
    await tg.wait_for("sendMessage")
    tg.push_message("/ask in seven", chat_type="supergroup", chat_id=GROUP, thread_id=7)
    await tg.wait_for("sendMessage", count=2)
    tg.push_message("/ask five again", chat_type="supergroup", chat_id=GROUP, thread_id=5)
    calls = await tg.wait_for("sendMessage", count=3)

    assert [c.params.get("message_thread_id") for c in calls] == [5, 7, 5]
    assert ai.chat_prompts == ["in five", "in seven", "User: in five\nAssistant: t5\nUser: five again\nAssistant:"]
    actions = tg.calls_of("sendChatAction")
    assert actions and all(a.params.get("message_thread_id") in (5, 7) for a in actions)


async def test_reset_in_a_group_is_for_that_group(app: Application, tg: TelegramEmulator,
                                                  ai: AiChatsEmulator) -> None:
    ai.answers = ["g", "p", "g2"]
    tg.push_message("/ask@TestAiBot group q", chat_type="supergroup", chat_id=GROUP)
    await tg.wait_for("sendMessage")
    tg.push_message("/ask private q")
    await tg.wait_for("sendMessage", count=2)
    tg.push_message("/reset@TestAiBot", chat_type="supergroup", chat_id=GROUP)
    calls = await tg.wait_for("sendMessage", count=3)
    tg.push_message("/ask@TestAiBot group again", chat_type="supergroup", chat_id=GROUP)
    await tg.wait_for("sendMessage", count=4)

    assert calls[2].params["text"] == texts.reset_done()
    assert ai.chat_prompts[-1] == "group again"
