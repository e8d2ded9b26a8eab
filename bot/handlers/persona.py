"""/persona: the conversation's system prompt. Without arguments it is shown, with the presets of
PERSONAS_FILE as buttons; `/persona <text>` sets it, `/persona reset` returns to SYSTEM_PROMPT.

Changing it is for anyone in a private chat and for the chat's admins in groups (MaySteer). It is kept
per chat (or forum topic), also where GROUP_HISTORY=per_user gives each member a history of their own.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from .. import texts
from ..config import Settings
from ..filters import MaySteer
from ..storage import ConversationKey, HistoryStore

logger = logging.getLogger(__name__)

RESET = "reset"


class PersonaPick(CallbackData, prefix="persona"):
    index: int  # position in PERSONAS_FILE; -1: back to the default


def build_router() -> Router:
    router = Router(name="persona")
    router.message.register(show_persona, Command("persona", magic=~F.args))
    router.message.register(change_persona, Command("persona"), MaySteer())
    router.message.register(refuse, Command("persona"))
    router.callback_query.register(pick_persona, PersonaPick.filter(), MaySteer())
    router.callback_query.register(refuse_pick, PersonaPick.filter())
    return router


async def show_persona(
    message: Message, conversation: ConversationKey, settings: Settings, store: HistoryStore
) -> None:
    chosen = await store.get_settings(conversation.chat_scope)
    prompt = chosen.persona if chosen.persona is not None else settings.system_prompt
    await message.reply(texts.persona(prompt, presets=bool(settings.personas)), reply_markup=_presets(settings))


async def change_persona(message: Message, command: CommandObject, conversation: ConversationKey,
                         store: HistoryStore) -> None:
    text = (command.args or "").strip()
    key = conversation.chat_scope
    if text.lower() == RESET:
        await _set(store, key, None)
        await message.reply(texts.persona_reset())
    elif len(text) > texts.PERSONA_CHARS:
        await message.reply(texts.too_long(len(text), texts.PERSONA_CHARS))
    else:
        await _set(store, key, text)
        await message.reply(texts.persona_set())
    logger.info("chat=%s thread=%s: persona %s", key.chat_id, key.thread_id,
                "reset" if text.lower() == RESET else f"set ({len(text)} chars)")


async def pick_persona(
    callback: CallbackQuery, callback_data: PersonaPick, settings: Settings, store: HistoryStore,
    conversation: ConversationKey | None = None,
) -> None:
    names = list(settings.personas)
    if conversation is None or not -1 <= callback_data.index < len(names):
        await callback.answer(texts.option_gone(), show_alert=True)
        return
    key = conversation.chat_scope
    # Stored before the toast (one quick write): once the user sees it, the next question follows it.
    if callback_data.index == -1:
        await _set(store, key, None)
        await callback.answer(texts.persona_reset())
        return
    name = names[callback_data.index]
    await _set(store, key, settings.personas[name])
    await callback.answer(texts.persona_picked(name))
    logger.info("chat=%s thread=%s: persona preset %r", key.chat_id, key.thread_id, name)


async def refuse(message: Message) -> None:
    await message.reply(texts.admins_steer())


async def refuse_pick(callback: CallbackQuery) -> None:
    await callback.answer(texts.admins_steer(), show_alert=True)


async def _set(store: HistoryStore, key: ConversationKey, persona: str | None) -> None:
    await store.set_settings(key, replace(await store.get_settings(key), persona=persona))


def _presets(settings: Settings) -> InlineKeyboardMarkup | None:
    if not settings.personas:
        return None
    keyboard = InlineKeyboardBuilder()
    for index, name in enumerate(settings.personas):
        keyboard.button(text=name, callback_data=PersonaPick(index=index))
    keyboard.button(text=texts.default_choice(), callback_data=PersonaPick(index=-1))
    keyboard.adjust(2)
    return keyboard.as_markup()
