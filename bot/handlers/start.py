"""/start and /help."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from .. import texts


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(show_help, CommandStart())
    router.message.register(show_help, Command("help"))
    return router


async def show_help(message: Message, bot: Bot) -> None:
    me = await bot.me()
    await message.answer(texts.help_text(me.username or "this_bot"))
