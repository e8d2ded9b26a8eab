"""/stats for admins: what is stored, how each provider has fared since start, and today's heaviest users."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..filters import IsAdmin
from ..services.status import StatusService
from ..services.usage import UsageService


def build_router() -> Router:
    router = Router(name="stats")
    router.message.register(stats, Command("stats"), IsAdmin())
    router.message.register(admins_only, Command("stats"))
    return router


async def stats(message: Message, status_service: StatusService, usage: UsageService) -> None:
    found = await status_service.stats()
    top = texts.top_usage(await usage.top(10))
    await message.reply(texts.stats(found.conversations, found.turns, found.providers) + "\n\n" + top)


async def admins_only(message: Message) -> None:
    await message.reply(texts.admins_only())
