"""What nothing else handled: unknown commands, and in private chats what the bot cannot read (stickers,
videos, locations…), get a hint where that is welcome."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from .. import texts


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(not_understood, F.chat.type == ChatType.PRIVATE, ~F.text)
    return router


async def unknown_command(message: Message, bot: Bot) -> None:
    """In groups only commands addressed to this bot get an answer; others may belong to other bots."""
    command = Command.extract_command(message.text or "")
    me = await bot.me()
    if command.mention and command.mention.lower() != (me.username or "").lower():
        return
    if message.chat.type != ChatType.PRIVATE and not command.mention:
        return
    await message.reply(texts.unknown_command(command.command))


async def not_understood(message: Message) -> None:
    await message.reply(texts.text_only())
