"""/stats for admins: what is stored, and how each provider has fared since start."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from provider import FallbackProvider

from .. import texts
from ..config import Settings
from ..storage import HistoryStore


def build_router() -> Router:
    router = Router(name="stats")
    router.message.register(stats, Command("stats"))
    return router


async def stats(message: Message, settings: Settings, store: HistoryStore, provider_chain: FallbackProvider) -> None:
    if message.from_user is None or message.from_user.id not in settings.guards.admins:
        await message.reply(texts.admins_only())
        return
    stored = await store.stats()
    await message.reply(texts.stats(stored.conversations, stored.turns, provider_chain.status()))
