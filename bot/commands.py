"""The command menu Telegram shows next to the input field, in every language the bot speaks."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from . import texts


def menu(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [BotCommand(command=name, description=text) for name, text in texts.commands().items()]


async def register_commands(bot: Bot, i18n: I18n, default_language: str | None = None) -> None:
    """The default menu (users whose language has no catalog) and one per catalog, for Telegram to pick by
    the user's language; with DEFAULT_LANGUAGE set, every menu is in that language, as every answer is."""
    await bot.set_my_commands(menu(i18n, default_language or i18n.default_locale))
    for locale in sorted(i18n.available_locales):
        await bot.set_my_commands(menu(i18n, default_language or locale), language_code=locale)
