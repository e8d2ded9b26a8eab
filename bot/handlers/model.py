"""/model: which providers answer, in which order, and whether each is healthy right now."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from provider import FallbackProvider

from .. import texts


def build_router() -> Router:
    router = Router(name="model")
    router.message.register(show_model, Command("model"))
    return router


async def show_model(message: Message, provider_chain: FallbackProvider) -> None:
    await message.reply(texts.provider_chain(provider_chain.status()))
