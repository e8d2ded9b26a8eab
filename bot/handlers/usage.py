"""/usage: the tokens you used today, and your DAILY_TOKENS limit if there is one."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts
from ..senders import sender_id
from ..services.usage import UsageService


def build_router() -> Router:
    router = Router(name="usage")
    router.message.register(show_usage, Command("usage"))
    return router


async def show_usage(message: Message, usage: UsageService) -> None:
    user = sender_id(message)
    used = await usage.used(user) if user is not None else 0
    await message.reply(texts.usage(used, usage.daily_tokens, usage.resets_at()))
