"""/model: which providers answer, in which order, whether each is healthy right now, and which of
OPENAI_MODELS this conversation uses, with buttons to pick another (admins in groups, as for /persona)."""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from .. import texts
from ..config import Settings
from ..filters import MaySteer
from ..services.status import StatusService
from ..storage import ConversationKey, HistoryStore
from .persona import refuse_pick

logger = logging.getLogger(__name__)


class ModelPick(CallbackData, prefix="model"):
    index: int  # position in OPENAI_MODELS: a model's name may be longer than callback data allows


def build_router() -> Router:
    router = Router(name="model")
    router.message.register(show_model, Command("model"))
    router.callback_query.register(pick_model, ModelPick.filter(), MaySteer())
    router.callback_query.register(refuse_pick, ModelPick.filter())
    return router


async def show_model(
    message: Message, conversation: ConversationKey, settings: Settings, store: HistoryStore,
    status_service: StatusService,
) -> None:
    text = texts.provider_chain(status_service.providers())
    markup = None
    models = settings.models
    if "openai" in settings.provider_names:
        chosen = await store.get_settings(conversation.chat_scope)
        current = chosen.model if chosen.model in models else models[0]
        text += "\n\n" + texts.model_choice(current)
        if len(models) > 1:
            text += " " + texts.model_pick()
            markup = _choices(models, current)
    await message.reply(text, reply_markup=markup)


async def pick_model(
    callback: CallbackQuery, callback_data: ModelPick, settings: Settings, store: HistoryStore,
    conversation: ConversationKey | None = None,
) -> None:
    models = settings.models
    if conversation is None or not 0 <= callback_data.index < len(models):
        await callback.answer(texts.option_gone(), show_alert=True)
        return
    model = models[callback_data.index]
    key = conversation.chat_scope
    # The default is stored as None, so a conversation follows OPENAI_MODELS when its first entry changes.
    # Stored before the toast (one quick write): once the user sees it, the next question uses it.
    await store.set_settings(key, replace(await store.get_settings(key), model=model if callback_data.index else None))
    await callback.answer(texts.model_picked(model))
    logger.info("chat=%s thread=%s: model %s", key.chat_id, key.thread_id, model)


def _choices(models: tuple[str, ...], current: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for index, model in enumerate(models):
        keyboard.button(text=f"✓ {model}" if model == current else model, callback_data=ModelPick(index=index))
    keyboard.adjust(1)
    return keyboard.as_markup()
