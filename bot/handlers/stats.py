"""/stats for admins: what is stored, and how each provider has fared since start."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..filters import IsAdmin
from ..services.status import StatusService


def build_router() -> Router:
    router = Router(name="stats")
    router.message.register(stats, Command("stats"), IsAdmin())
    router.message.register(admins_only, Command("stats"))
    return router


async def stats(message: Message, status_service: StatusService) -> None:
    found = await status_service.stats()
    await message.reply(texts.stats(found.conversations, found.turns, found.providers))


async def admins_only(message: Message) -> None:
    await message.reply(texts.admins_only())
