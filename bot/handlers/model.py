"""/model: which providers answer, in which order, and whether each is healthy right now."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..services.status import StatusService


def build_router() -> Router:
    router = Router(name="model")
    router.message.register(show_model, Command("model"))
    return router


async def show_model(message: Message, status_service: StatusService) -> None:
    await message.reply(texts.provider_chain(status_service.providers()))
