"""The catalogs: complete, consistent with their English source, up to date, and shipped with the package."""

from __future__ import annotations

import re
import string
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from aiogram.utils.i18n import gettext
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from bot import texts
from bot.config import LANGUAGES, ConfigError, Rate, Settings
from bot.i18n import LOCALES_DIR, catalogs, locale_for
from provider import CapabilityStatus, ProviderStatus
from tests.helpers import ROOT

TEMPLATE = LOCALES_DIR / "messages.pot"
PO_FILES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))

_PRINTF = re.compile(r"%(?:\(\w+\))?[sdifr]")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_COMMAND = re.compile(r"(?<![\w}<])/[a-z]+")  # /help, /ask@…; not the "/min" of "{count}/min", not "</b>"


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def ids(catalog: Catalog) -> set[tuple[str, ...]]:
    """Every message's msgid (with its plural msgid), the header left out."""
    return {m.id if isinstance(m.id, tuple) else (m.id,) for m in catalog if m.id}


def markers(text: str) -> Counter[str]:
    """What a translation must keep: {name} fields, %-placeholders, HTML tags and /commands."""
    fields = [f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    return Counter(fields + _PRINTF.findall(text) + _TAG.findall(text) + _COMMAND.findall(text))


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_there_is_a_russian_catalog() -> None:
    assert [p.relative_to(LOCALES_DIR).as_posix() for p in PO_FILES] == ["ru/LC_MESSAGES/messages.po"]
    assert ("en", *sorted(catalogs().available_locales)) == LANGUAGES  # DEFAULT_LANGUAGE accepts exactly these


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parent.parent.name)
def test_every_msgid_is_translated(po: Path) -> None:
    template, catalog = read(TEMPLATE), read(po)
    assert ids(catalog) == ids(template), "run pybabel update (README, Languages)"
    assert not catalog.obsolete, "obsolete (#~) entries: delete them"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy, so left out at run time: {message.id!r}"
        strings = forms(message)
        assert all(s.strip() for s in strings), f"untranslated: {message.id!r}"
        if message.pluralizable:
            assert len(strings) == catalog.num_plurals, f"needs {catalog.num_plurals} forms: {message.id!r}"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parent.parent.name)
def test_placeholders_and_markup_match(po: Path) -> None:
    for message in read(po):
        if not message.id:
            continue
        # Every plural form keeps the plural msgid's placeholders: Russian's "one" form also serves 21, 31, ...
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        if isinstance(message.id, tuple):
            assert markers(message.id[0]) == markers(message.id[1]), message.id
        for translated in forms(message):
            assert markers(translated) == markers(source), f"{source!r} -> {translated!r}"


def test_template_is_up_to_date(tmp_path: Path) -> None:
    """Re-extract from the sources, as README says, and compare: a new or changed text needs a translation."""
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-c", "Translators:", "--no-location",
        "--sort-output", "-o", str(fresh), str(ROOT),
    ])
    assert ids(read(fresh)) == ids(read(TEMPLATE)), "run pybabel extract and update (README, Languages)"
    assert len(ids(read(TEMPLATE))) > 30


def test_catalogs_need_no_compiled_files() -> None:
    assert not list(LOCALES_DIR.rglob("*.mo"))
    assert catalogs().available_locales == ("ru",)


def test_package_data_ships_the_catalogs() -> None:
    """A non-editable install (wheel) must carry the .po files: nothing else holds the translations."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {path for pattern in patterns for path in (ROOT / "bot").glob(pattern)}  # setuptools globs too
    assert {TEMPLATE, *PO_FILES} <= shipped


def test_aiogram_gettext_sees_our_catalogs() -> None:
    """A subclass of I18n gets its own context variable; ours must still be the one aiogram's gettext finds."""
    i18n = catalogs()
    with i18n.context(), i18n.use_locale("ru"):
        assert gettext("Forget this conversation") == "Забыть этот разговор"
        assert texts.reset_done() == "Готово: этот разговор забыт."
    assert texts.reset_done() == "Done: I have forgotten this conversation."  # outside an update: English


@pytest.mark.parametrize(("code", "locale"), [
    ("ru", "ru"), ("ru-RU", "ru"), ("RU", "ru"), ("ru_UA", "ru"), ("en", "en"), ("en-GB", "en"),
    ("uk", "en"), ("pt-br", "en"), ("", "en"), (None, "en"), ("rus", "en"),
])
def test_locale_for_language_code(code: str | None, locale: str) -> None:
    assert locale_for(code, ("ru",)) == locale


@pytest.mark.parametrize(("seconds", "word"), [
    (1, "секунду"), (2, "секунды"), (4, "секунды"), (5, "секунд"), (11, "секунд"), (12, "секунд"),
    (14, "секунд"), (21, "секунду"), (22, "секунды"), (25, "секунд"), (101, "секунду"), (111, "секунд"),
])
def test_russian_plural_forms(seconds: int, word: str) -> None:
    i18n = catalogs()
    with i18n.context(), i18n.use_locale("ru"):
        assert texts.rate_limited(seconds, Rate(seconds, 3600)).endswith(f"через {seconds} {word}.")


def test_russian_numbers_are_grouped_with_spaces() -> None:
    i18n = catalogs()
    with i18n.context(), i18n.use_locale("ru"):
        text = texts.too_long(100_000, 4_000)
    assert text == "Слишком длинный текст: 100\xa0000 символов, а можно не больше 4\xa0000. Пожалуйста, сократите его."
    english = "That is too long: 100,000 characters; the limit is 4,000. Please shorten it."
    assert texts.too_long(100_000, 4_000) == english


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("ru", "ru"), (" EN ", "en")])
def test_default_language_setting(raw: str, expected: str | None) -> None:
    assert Settings.from_env({"BOT_TOKEN": "123:abc", "DEFAULT_LANGUAGE": raw}).default_language == expected


def test_unknown_default_language_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^DEFAULT_LANGUAGE: must be one of en, ru") as error:
        Settings.from_env({"BOT_TOKEN": "123:abc", "DEFAULT_LANGUAGE": "de"})
    assert error.value.variable == "DEFAULT_LANGUAGE"


def test_model_and_stats_in_russian() -> None:
    """The texts composed of several plural pieces read as one sentence."""
    statuses = [
        ProviderStatus("api.openai.com", "gpt-4o-mini", "dall-e-3", "open", False, 3, 41.6, 10, 3, "HTTP 500",
                       kind="OpenAI-compatible", images=CapabilityStatus("closed", True, 0, None, 2, 1, "HTTP 400")),
        ProviderStatus("127.0.0.1", "gpt-4", None, "half-open", False, 1, 0.0, 1, 1, "timed out"),
        ProviderStatus("local", "llama", None, "closed", False, 2, None, 2, 2, "refused"),
        ProviderStatus("spare", "llama", None, "closed", True, 0, None, 21, 0, None),
    ]
    i18n = catalogs()
    with i18n.context(), i18n.use_locale("ru"):
        chain, stats = texts.provider_chain(statuses), texts.stats(1, 5, statuses)

    assert chain == (
        "<b>Провайдеры моделей</b> в том порядке, в котором к ним обращается бот:\n"
        "1. api.openai.com (OpenAI-compatible) — gpt-4o-mini: пропускается ещё 42 секунды после 3 сбоев ⛔\n"
        "    последняя ошибка: HTTP 500\n"
        "    рисует с помощью dall-e-3: исправен ✅\n"
        "2. 127.0.0.1 — gpt-4: проверяется после 1 сбоя ⚠️\n"
        "    последняя ошибка: timed out\n"
        "3. local — llama: сбоит (2 раза подряд) ⚠️\n"
        "    последняя ошибка: refused\n"
        "4. spare — llama: исправен ✅"
    )
    assert stats == (
        "<b>Сохранено</b>\n1 разговор, 5 сообщений\n\n<b>Провайдеры с момента запуска</b>\n"
        "api.openai.com: 12 запросов, 4 ошибки (картинки: 2 запроса, 1 ошибка)\n"
        "127.0.0.1: 1 запрос, 1 ошибка\nlocal: 2 запроса, 2 ошибки\n"
        "spare: 21 запрос, 0 ошибок"
    )


def test_every_text_of_every_feature_module_is_read_from_texts() -> None:
    """`bot.texts` gathers its modules with star imports: a name one module imports (say `escape`) must not
    hide a text of the same name that another module defines."""
    import importlib
    import pkgutil

    defined = 0
    for module_info in pkgutil.iter_modules(texts.__path__):
        module = importlib.import_module(f"bot.texts.{module_info.name}")
        for name, value in vars(module).items():
            if callable(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                assert getattr(texts, name) is value, f"texts.{name} is not {module.__name__}.{name}"
                defined += 1
    assert defined > 70
