"""The bot's languages: aiogram's gettext i18n, with catalogs compiled from `.po` files at start-up.

English is the source language (the msgids); `bot/locales/<lang>/LC_MESSAGES/messages.po` adds one each.
README's "Languages" section says how to add a language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from gettext import GNUTranslations
from io import BytesIO
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


class CatalogI18n(I18n):
    """aiogram's I18n reading `.po` files directly: each is compiled in memory, so no `.mo` is built by
    hand, shipped in the repository or left stale after an edit."""

    def find_locales(self) -> dict[str, GNUTranslations]:
        translations: dict[str, GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as file:
                catalog = read_po(file, locale=locale, domain=self.domain)
            compiled = BytesIO()
            write_mo(compiled, catalog)  # fuzzy entries are left out: they fall back to English
            compiled.seek(0)
            translations[locale] = GNUTranslations(compiled)
        return translations

    @contextmanager
    def context(self) -> Iterator[I18n]:
        """Made the current `I18n` itself: aiogram's `gettext` looks there, and `I18n.context` would set a
        context variable of this subclass's own (one per class), where nothing looks."""
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)


def catalogs() -> CatalogI18n:
    """The catalogs, compiled from the `.po` files (a few milliseconds); each Application builds its own."""
    return CatalogI18n(path=LOCALES_DIR, default_locale=SOURCE_LANGUAGE, domain=DOMAIN)


def locale_for(language_code: str | None, available: tuple[str, ...]) -> str:
    """Telegram's IETF tag ("ru", "ru-RU", "pt-br") to a catalog: its language if we have it, else English."""
    language = (language_code or "").replace("_", "-").split("-")[0].lower()
    return language if language in available else SOURCE_LANGUAGE


class UserLocale(I18nMiddleware):
    """Chooses each update's language: `DEFAULT_LANGUAGE` for everyone when set, else the sender's own.

    Installed with `setup(dispatcher)` on every event type (errors too, so the apology is localised) as an
    outer middleware: the access guard's refusal, inside it, is localised as well.
    """

    def __init__(self, i18n: I18n, forced: str | None = None) -> None:
        super().__init__(i18n)
        self.forced = forced

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        if self.forced:
            return self.forced
        user: User | None = data.get("event_from_user")
        return locale_for(user.language_code if user else None, self.i18n.available_locales)


def _current() -> I18n | None:
    return I18n.get_current(no_error=True)


def _(message: str) -> str:
    """aiogram's `gettext`, except that outside an update (tests, start-up) the English source is meant."""
    i18n = _current()
    return message if i18n is None else i18n.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """aiogram's `ngettext` (the catalog's plural rule picks the form), English outside an update."""
    i18n = _current()
    if i18n is None:
        return singular if n == 1 else plural
    return i18n.gettext(singular, plural, n)


def current_language() -> str:
    i18n = _current()
    return SOURCE_LANGUAGE if i18n is None else i18n.current_locale


def number(value: int) -> str:
    """A count the way the reader writes it: 100,000 in English, 100 000 in Russian."""
    return format_decimal(value, locale=current_language())
