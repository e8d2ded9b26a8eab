"""Anonymous admins and channels: a message sent as a chat is that chat's, in rate limits, access lists,
admin checks and refusals, never the placeholder account's that every such message comes `from`."""

from __future__ import annotations

from bot import texts
from bot.config import Rate, Settings
from bot.senders import ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import GROUP, RunBot, visible

OTHER_GROUP = -1001000000555
CHANNEL = -1001000000777
OTHER_CHANNEL = -1001000000888


def guarded(settings: Settings, **guards: object) -> Settings:
    return changed(settings, streaming=False, **guards)


async def test_the_builder_shapes_messages_sent_as_a_chat_like_telegram(tg: TelegramEmulator) -> None:
    anonymous = tg.message_update("hi", chat_type="supergroup", chat_id=GROUP, sender_chat=GROUP)["message"]
    channel = tg.message_update("hi", chat_type="supergroup", chat_id=GROUP, sender_chat=CHANNEL)["message"]

    assert anonymous["from"]["id"] == ANONYMOUS_ADMIN_ID and anonymous["sender_chat"] == anonymous["chat"]
    assert channel["from"]["id"] == CHANNEL_BOT_ID
    assert channel["sender_chat"] == {"id": CHANNEL, "type": "channel", "title": "Test Channel"}


async def test_each_chat_speaking_for_itself_has_its_own_rate(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """Before, every anonymous admin and channel in every group shared the placeholder's one bucket."""
    ai.responder = lambda prompt: "ok"
    async with run_bot(guarded(settings, ask_rate=Rate(1, 60))) as app:
        group = {"chat_type": "supergroup", "chat_id": GROUP}
        tg.push_message("/ask@TestAiBot one", sender_chat=GROUP, **group)
        await tg.wait_for("sendMessage", count=1)
        tg.push_message("/ask@TestAiBot two", sender_chat=GROUP, **group)  # the same anonymous admins: limited
        await tg.wait_for("sendMessage", count=2)
        tg.push_message("/ask@TestAiBot three", sender_chat=OTHER_GROUP, chat_type="supergroup",
                        chat_id=OTHER_GROUP)
        tg.push_message("/ask@TestAiBot four", sender_chat=CHANNEL, **group)
        tg.push_message("/ask@TestAiBot five", user_id=7, **group)
        await tg.wait_for("sendMessage", count=5)
        assert await app.inflight.drain(grace=5)

    sent = [visible(c.params["text"]) for c in tg.calls_of("sendMessage")]
    assert sent[1].startswith("Slow down a little: the limit is 1/min.")
    assert sorted(sent[2:]) == ["ok", "ok", "ok"]
    assert len(ai.chat_prompts) == 4 and not any("two" in p for p in ai.chat_prompts)


async def test_access_lists_and_refusals_know_the_chat_that_wrote(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """An ALLOWED_CHATS group's anonymous admins are in; a channel is let in by listing its id in
    ALLOWED_USERS; refused chats are told their own id, not the placeholder's."""
    ai.responder = lambda prompt: "welcome"
    async with run_bot(guarded(settings, allowed_chats=frozenset({GROUP}), allowed_users=frozenset({CHANNEL}))):
        tg.push_message("/ask@TestAiBot as the group", chat_type="supergroup", chat_id=GROUP, sender_chat=GROUP)
        tg.push_message("/ask@TestAiBot as a listed channel", chat_type="supergroup", chat_id=OTHER_GROUP,
                        sender_chat=CHANNEL)
        await tg.wait_for("sendMessage", count=2)
        tg.push_message("/ask@TestAiBot as another group", chat_type="supergroup", chat_id=-1001000000999,
                        sender_chat=-1001000000999)
        tg.push_message("/ask@TestAiBot as another channel", chat_type="supergroup", chat_id=-1001000000998,
                        sender_chat=OTHER_CHANNEL)
        calls = await tg.wait_for("sendMessage", count=4)

    by_chat = {c.params["chat_id"]: c.params["text"] for c in calls}
    assert visible(by_chat[GROUP]) == visible(by_chat[OTHER_GROUP]) == "welcome"
    assert by_chat[-1001000000999] == texts.not_allowed(-1001000000999, as_chat=True)
    assert by_chat[-1001000000998] == texts.not_allowed(OTHER_CHANNEL, as_chat=True)
    assert str(ANONYMOUS_ADMIN_ID) not in by_chat[-1001000000999]
    assert sorted(ai.chat_prompts) == ["as a listed channel", "as the group"]
