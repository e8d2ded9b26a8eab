"""Guards declared by handlers: the "rate" flag (per sender, and per group for kinds with a group rate),
IsAdmin with chat administrators, and both guards on button presses (callback queries)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.app import Application, create_app, polling_in_background
from bot.config import Rate, Settings
from bot.filters import IsAdmin
from bot.replies import AnswerSender, StreamingOptions
from bot.services.chat import ChatService
from bot.services.locks import ConversationBusy
from bot.services.retry_buttons import RetryButtons
from bot.turns import Turns
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import GROUP, visible

Start = Callable[..., AbstractAsyncContextManager[Application]]


def guarded(settings: Settings, **guards: object) -> Settings:
    return changed(settings, streaming=False, **guards)


@pytest.fixture
def start(settings: Settings) -> Start:
    """The real app, with a router of the test's own (a new feature's handlers) and workflow data replaced
    before polling starts."""

    @asynccontextmanager
    async def running(router: Router | None = None, *, guards: dict[str, object] | None = None,
                      prepare: Callable[[Application], None] | None = None,
                      **data: object) -> AsyncIterator[Application]:
        async with create_app(guarded(settings, **(guards or {}))) as app:
            if router is not None:  # ahead of the bot's own routers, as a feature module listed before fallback
                app.dispatcher.include_router(router)
                app.dispatcher.sub_routers.insert(0, app.dispatcher.sub_routers.pop())
            for key, value in data.items():
                app.dispatcher[key] = value
            if prepare is not None:
                prepare(app)
            async with polling_in_background(app):
                yield app

    return running


async def test_a_group_rate_is_shared_by_the_group_and_says_which_limit_was_hit(
    start: Start, tg: TelegramEmulator, ai: AiChatsEmulator, settings: Settings
) -> None:
    guards = {"draw_rate": Rate(1, 60), "group_draw_rate": Rate(2, 3600)}
    group = {"chat_type": "supergroup", "chat_id": GROUP}
    async with start(guards=guards):
        tg.push_message("/draw@TestAiBot one", user_id=1, **group)
        tg.push_message("/draw@TestAiBot two", user_id=2, **group)
        await tg.wait_for("sendPhoto", count=2)
        tg.push_message("/draw@TestAiBot three", user_id=3, **group)  # the group's 2/h are used up
        [group_full] = await tg.wait_for("sendMessage")
        tg.push_message("/draw three in private", user_id=3)  # the refusal cost user 3 nothing
        await tg.wait_for("sendPhoto", count=3)
        tg.push_message("/draw again in private", user_id=1)  # user 1's own 1/min is used up
        [_, own_limit] = await tg.wait_for("sendMessage", count=2)

    group_text = visible(group_full.params["text"])
    assert group_text.startswith("This group has used up its limit of 2/h. Try again in ")
    assert 3500 <= int(group_text.rsplit("in ", 1)[1].removesuffix(" s.").replace(",", "")) <= 3600
    assert visible(own_limit.params["text"]).startswith("Slow down a little: the limit is 1/min. Try again in ")
    assert sorted(ai.image_prompts) == ["one", "three in private", "two"]


def admin_router(seen: list[int]) -> Router:
    """A command for chat admins, as persona or model changes in groups will be."""
    router = Router(name="test-admin")

    @router.message(Command("persona"), IsAdmin(chat_admins=True))
    async def change(message: Message) -> None:
        seen.append(message.message_id)
        await message.reply("changed")

    @router.message(Command("persona"))
    async def refuse(message: Message) -> None:
        await message.reply("admins only")

    return router


async def test_is_admin_counts_configured_admins_chat_admins_and_anonymous_admins(
    start: Start, tg: TelegramEmulator
) -> None:
    tg.store.set_member(GROUP, 7, "administrator")
    tg.store.set_member(GROUP, 6, "creator")
    group = {"chat_type": "supergroup", "chat_id": GROUP}
    seen: list[int] = []
    async with start(admin_router(seen), guards={"admins": frozenset({9})}):
        for sender in ({"user_id": 7}, {"user_id": 7}, {"user_id": 6}, {"user_id": 8}, {"user_id": 8},
                       {"user_id": 9}, {"sender_chat": GROUP}, {"sender_chat": -1001000000777}):
            tg.push_message("/persona@TestAiBot pirate", **sender, **group)  # type: ignore[arg-type]
        tg.push_message("/persona pirate", user_id=8)  # a private chat has no chat admins
        calls = await tg.wait_for("sendMessage", count=9)

    replies = {c.params["reply_parameters"]["message_id"]: c.params["text"] for c in calls
               if c.params["chat_id"] == GROUP}
    assert [replies[n] for n in sorted(replies)] == [
        "changed", "changed", "changed", "admins only", "admins only", "changed", "changed", "admins only"
    ]
    assert len(seen) == 5
    private = [c for c in calls if c.params["chat_id"] == 8]
    assert [c.params["text"] for c in private] == ["admins only"]
    asked = sorted(c.params["user_id"] for c in tg.calls_of("getChatMember"))
    assert asked == [6, 7, 8]  # each asked once (remembered), never for ADMINS or anonymous admins


def button_router(pressed: list[int]) -> Router:
    """A button handler declaring the draw rate, as the inline buttons to come will."""
    router = Router(name="test-buttons")

    @router.callback_query(F.data == "again", flags={"rate": "draw"})
    async def again(callback: CallbackQuery) -> None:
        pressed.append(callback.from_user.id)
        await callback.answer("drawing again")

    return router


async def test_buttons_pass_the_same_access_and_rate_guards(start: Start, tg: TelegramEmulator) -> None:
    pressed: list[int] = []
    guards = {"draw_rate": Rate(1, 60), "allowed_users": frozenset({1, 2})}
    async with start(button_router(pressed), guards=guards):
        tg.push_message("/help", user_id=1)
        [menu] = await tg.wait_for("sendMessage")
        message_id = menu.result["message_id"]
        queries = []
        for user in (1, 1, 2, 3):
            update = tg.callback_query_update("again", message_id=message_id, user_id=user, chat_id=1)
            tg.push_update(update)
            queries.append(update["callback_query"]["id"])
            await tg.wait_for("answerCallbackQuery", count=len(queries))

    answers = [tg.store.callback_queries[query]["answer"] for query in queries]
    assert answers[0] == {"text": "drawing again", "show_alert": False, "url": None}
    assert answers[1]["text"].startswith("Slow down a little: the limit is 1/min. Try again in ")
    assert answers[1]["show_alert"] is True
    assert answers[2] == {"text": "drawing again", "show_alert": False, "url": None}
    assert answers[3] == {"text": texts.private_bot(), "show_alert": True, "url": None}
    assert pressed == [1, 2]  # user 1's second press and the stranger's never reached the handler


class HeldByAnotherReplica:
    """ConversationLocks whose lock another replica keeps past the wait, as RedisLocks reports it."""

    def hold(self, key: object) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def held() -> AsyncIterator[None]:
            raise ConversationBusy(f"aichats:lock:{key} stayed locked for 300 s")
            yield

        return held()


async def test_a_busy_conversation_gets_its_own_answer(start: Start, tg: TelegramEmulator,
                                                       ai: AiChatsEmulator) -> None:
    def busy_locks(app: Application) -> None:
        chat = ChatService(app.dispatcher["provider_chain"], app.store, locks=HeldByAnotherReplica())
        app.dispatcher["turns"] = Turns(chat, AnswerSender(StreamingOptions()), RetryButtons())

    async with start(prepare=busy_locks) as app:
        tg.push_message("/ask anyone there?")
        [reply] = await tg.wait_for("sendMessage")
        assert (await app.store.stats()).turns == 0

    assert reply.params["text"] == texts.conversation_busy()
    assert ai.chat_prompts == []
