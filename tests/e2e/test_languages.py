"""English and Russian through the emulated Bot API: the sender's `language_code` picks the language,
DEFAULT_LANGUAGE overrides it, and the command menu is registered in both. Expected texts are written out
here, not taken from the catalogs, so a wrong or missing translation fails."""

from __future__ import annotations

import re

import pytest

from bot.config import Rate, Settings
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.settings import changed

from .conftest import GROUP, RunBot

EN, RU = 1, 2  # users: language_code "en" and "ru"

HELP_EN = (
    "I answer questions with a language model and draw pictures.\n\n"
    "<b>Commands</b>\n"
    "/ask <i>question</i> — ask the model; I remember the conversation\n"
    "/draw <i>description</i> — draw an image\n"
    "/cancel — stop the answer being written\n"
    "/retry — answer the last question again (or press 🔄 under the answer)\n"
    "/reset — forget this conversation\n"
    "/persona — the instructions the model follows here; <code>/persona</code> <i>text</i> sets them, "
    "<code>/persona reset</code> goes back to the default\n"
    "/model — which model providers answer, whether they are healthy, and which model this chat uses\n"
    "/usage — the tokens you used today\n"
    "/help — this message\n\n"
    "In a private chat you can also just write to me, and reply to any of my answers to go on.\n\n"
    "<b>Photos, voice and files</b>\n"
    "Send a photo (or an album) with a question in its caption, a voice or audio message, or a text or PDF "
    "document: I read it and answer. In groups, put /ask in the caption or reply /ask to it.\n\n"
    "<b>In groups</b>\n"
    "Everyone in a group (or forum topic) shares one conversation, unless the bot's owner gave each member "
    "their own. Address commands to me as /ask@TestAiBot or reply to one of my messages: with privacy mode "
    "on, that is all Telegram shows me. Only the group's admins may change the persona or the model.\n\n"
    "<b>Drawing</b>\n"
    "<code>/draw a fox in the snow</code> draws a picture. Reply with /draw to a photo (anyone's, or one I "
    "drew) to edit it: <code>/draw make it night</code>.\n"
    "Options anywhere in the description: <code>--wide</code>, <code>--tall</code>, <code>--square</code> "
    "or a size like <code>1024x1792</code>; <code>x2</code>, <code>x3</code>… for several pictures at once.\n"
    "Under a picture, 🔄 draws it again and ✏️ asks for a variation."
)
HELP_RU = (
    "Я отвечаю на вопросы с помощью языковой модели и рисую картинки.\n\n"
    "<b>Команды</b>\n"
    "/ask <i>вопрос</i> — спросить модель; я помню разговор\n"
    "/draw <i>описание</i> — нарисовать картинку\n"
    "/cancel — прервать ответ, который сейчас пишется\n"
    "/retry — ответить на последний вопрос заново (или нажмите 🔄 под ответом)\n"
    "/reset — забыть этот разговор\n"
    "/persona — указания, которым модель следует здесь; <code>/persona</code> <i>текст</i> задаёт их, "
    "<code>/persona reset</code> возвращает стандартные\n"
    "/model — какие провайдеры моделей отвечают, исправны ли они и какая модель используется в этом чате\n"
    "/usage — сколько токенов вы потратили сегодня\n"
    "/help — это сообщение\n\n"
    "В личном чате можно просто написать мне, а чтобы продолжить разговор, ответьте на любое моё сообщение.\n\n"
    "<b>Фото, голос и файлы</b>\n"
    "Пришлите фото (или альбом) с вопросом в подписи, голосовое или аудиосообщение, текстовый или PDF-документ: "
    "я прочитаю его и отвечу. В группах добавьте /ask в подпись или ответьте на сообщение командой /ask.\n\n"
    "<b>В группах</b>\n"
    "У всех участников группы (или темы форума) один общий разговор, если владелец бота не дал каждому "
    "участнику свой. Обращайтесь ко мне командой /ask@TestAiBot или отвечайте на мои сообщения: в режиме "
    "приватности Telegram показывает мне только такие сообщения. Персону и модель могут менять только "
    "администраторы группы.\n\n"
    "<b>Рисунки</b>\n"
    "<code>/draw лиса в снегу</code> рисует картинку. Ответьте командой /draw на фото (чьё угодно или "
    "нарисованное мной), чтобы изменить его: <code>/draw сделай ночь</code>.\n"
    "Параметры — в любом месте описания: <code>--wide</code>, <code>--tall</code>, <code>--square</code> "
    "или размер вроде <code>1024x1792</code>; <code>x2</code>, <code>x3</code>… — несколько картинок сразу.\n"
    "Под картинкой 🔄 рисует её заново, а ✏️ просит вариацию."
)
MENU_EN = [
    ("ask", "Ask the model a question"),
    ("retry", "Answer the last question again"),
    ("draw", "Draw an image from a description"),
    ("reset", "Forget this conversation"),
    ("cancel", "Stop the answer being written"),
    ("persona", "Show or change the model's instructions here"),
    ("model", "Show the model providers and pick a model"),
    ("usage", "Tokens you used today"),
    ("help", "How to use this bot"),
]
MENU_RU = [
    ("ask", "Задать вопрос модели"),
    ("retry", "Ответить на последний вопрос заново"),
    ("draw", "Нарисовать картинку по описанию"),
    ("reset", "Забыть этот разговор"),
    ("cancel", "Прервать ответ, который сейчас пишется"),
    ("persona", "Показать или изменить указания модели здесь"),
    ("model", "Показать провайдеров моделей и выбрать модель"),
    ("usage", "Сколько токенов вы потратили сегодня"),
    ("help", "Как пользоваться ботом"),
]
ASK_USAGE_RU = "Напишите вопрос после команды, например: <code>/ask Что такое чёрная дыра?</code>"


def quiet(settings: Settings, **changes: object) -> Settings:
    """No streaming, so every answer is exactly one sendMessage."""
    return changed(settings, streaming=False, **changes)


def lang(user_id: int) -> str:
    return {EN: "en", RU: "ru"}[user_id]


async def ask_both(tg: TelegramEmulator, text: str, **kwargs: object) -> tuple[str, str]:
    """The same message from the English and then the Russian user; the text of each one's reply."""
    replies = []
    for user in (EN, RU):
        sent = len(tg.calls_of("sendMessage"))
        tg.push_message(text, user_id=user, language_code=lang(user), **kwargs)
        calls = await tg.wait_for("sendMessage", count=sent + 1, timeout=10)
        replies.append(calls[-1].params["text"])
    return replies[0], replies[1]


def menu(tg: TelegramEmulator, language_code: str = "") -> list[tuple[str, str]]:
    return [(c["command"], c["description"]) for c in tg.commands(language_code=language_code)]


async def test_help_in_both_languages(run_bot: RunBot, settings: Settings, tg: TelegramEmulator) -> None:
    async with run_bot(quiet(settings)):
        assert await ask_both(tg, "/help") == (HELP_EN, HELP_RU)


async def test_provider_error_in_both_languages(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                ai: AiChatsEmulator) -> None:
    ai.fail_next("http_500", times=2)
    async with run_bot(quiet(settings)):
        english, russian = await ask_both(tg, "/ask q")

    assert english == "The model did not answer: 127.0.0.1 returned HTTP 500. Try again later."
    assert russian == "Модель не ответила: 127.0.0.1 returned HTTP 500. Попробуйте позже."  # the reason as it is


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


async def test_rate_limit_in_both_languages(run_bot: RunBot, settings: Settings, tg: TelegramEmulator) -> None:
    async with run_bot(quiet(settings, ask_rate=Rate(1, 60))):
        await ask_both(tg, "/ask first")
        english, russian = await ask_both(tg, "/ask second")

    en = re.fullmatch(r"Slow down a little: the limit is 1/min\. Try again in (\d+) s\.", english)
    ru = re.fullmatch(r"Не так быстро: лимит — 1 запрос в минуту\. Попробуйте снова через (\d+) (\w+)\.", russian)
    assert en and ru, (english, russian)
    seconds = int(ru[1])
    assert 1 <= int(en[1]) <= 60 and 1 <= seconds <= 60
    assert ru[2] == russian_plural(seconds, "секунду", "секунды", "секунд")


async def test_refusal_apology_and_file_caption_in_russian(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """Texts from outside the handlers: the access guard, the error handler, the answer sender."""
    ai.answers = ["not delivered", "word " * 2_500]  # the second is over attach_over: it also comes as a file
    async with run_bot(quiet(settings, allowed_users=frozenset({RU}))):
        tg.push_message("/ask let me in", user_id=3, language_code="ru")
        [refusal] = await tg.wait_for("sendMessage")
        tg.fail_next("sendMessage", status=400, description="Bad Request: message is too long")
        tg.push_message("/ask q", user_id=RU, language_code="ru")
        [_, _, apology] = await tg.wait_for("sendMessage", count=3)
        tg.push_message("/ask long", user_id=RU, language_code="ru")
        [document] = await tg.wait_for("sendDocument", timeout=10)

    assert refusal.params["text"] == (
        "Извините, это закрытый бот: попросите его владельца открыть вам доступ. Ваш id в Telegram: <code>3</code>."
    )
    assert apology.params["text"] == "У меня что-то пошло не так. Попробуйте ещё раз."
    assert document.params["caption"] == "Весь ответ одним файлом."


async def test_each_group_member_gets_their_own_language(run_bot: RunBot, settings: Settings,
                                                         tg: TelegramEmulator) -> None:
    async with run_bot(quiet(settings)):
        english, russian = await ask_both(tg, "/frobnicate@TestAiBot", chat_type="supergroup", chat_id=GROUP)

    assert english == "I don't know /frobnicate. See /help."
    assert russian == "Команда /frobnicate мне незнакома. Список команд — в /help."


@pytest.mark.parametrize("language_code", ["ru-RU", "RU", "uk", None])
async def test_other_language_codes(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                    language_code: str | None) -> None:
    """A regional variant of Russian is Russian; any other language, or none, is English."""
    async with run_bot(quiet(settings)):
        tg.push_message("/ask", language_code=language_code)
        [usage] = await tg.wait_for("sendMessage")

    russian = language_code is not None and language_code.lower().startswith("ru")
    assert (usage.params["text"] == ASK_USAGE_RU) is russian


async def test_command_menus_in_both_languages(run_bot: RunBot, settings: Settings, tg: TelegramEmulator) -> None:
    async with run_bot(settings):
        pass

    assert menu(tg) == MENU_EN
    assert menu(tg, "ru") == MENU_RU
    assert [c.params.get("language_code") for c in tg.calls_of("setMyCommands")] == [None, "ru"]


async def test_default_language_overrides_the_users_own(run_bot: RunBot, settings: Settings,
                                                        tg: TelegramEmulator) -> None:
    async with run_bot(quiet(settings, default_language="ru")):
        tg.push_message("/ask", user_id=EN, language_code="en")
        [usage] = await tg.wait_for("sendMessage")

    assert usage.params["text"] == ASK_USAGE_RU
    assert menu(tg) == MENU_RU and menu(tg, "ru") == MENU_RU  # the menu speaks as the answers do


async def test_default_language_english_for_russian_users(run_bot: RunBot, settings: Settings,
                                                          tg: TelegramEmulator) -> None:
    async with run_bot(quiet(settings, default_language="en")):
        assert await ask_both(tg, "/help") == (HELP_EN, HELP_EN)

    assert menu(tg) == MENU_EN and menu(tg, "ru") == MENU_EN
