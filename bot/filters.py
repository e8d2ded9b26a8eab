"""Filters that handlers declare: who may use a command (IsAdmin) and what a request must carry (Prompt)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.filters import CommandObject, Filter
from aiogram.types import Message, TelegramObject

from .config import Settings
from .senders import PLACEHOLDER_IDS, event_chat, is_group, sender_chat, sender_id
from .services.admins import ChatAdmins
from .services.prompts import clean_prompt, with_quote

logger = logging.getLogger(__name__)


class IsAdmin(Filter):
    """The bot's ADMINS; with `chat_admins=True`, in groups also the chat's administrators (getChatMember,
    remembered a few minutes by the `chat_admins` service) and its anonymous admins (who write as the group).

    `@router.message(Command("stats"), IsAdmin())`; a second handler for the same command without the filter
    can tell everyone else the command is not for them.
    """

    def __init__(self, *, chat_admins: bool = False) -> None:
        self.chat_admins = chat_admins

    async def __call__(
        self, event: TelegramObject, settings: Settings, bot: Bot, chat_admins: ChatAdmins
    ) -> bool:
        sender = sender_id(event)
        if sender is None:
            return False
        if sender in settings.admins:
            return True
        chat = event_chat(event)
        if not self.chat_admins or chat is None or not is_group(chat):
            return False
        speaking_as = sender_chat(event)
        if speaking_as is not None:  # the group itself speaks only through its anonymous admins
            return speaking_as.id == chat.id
        if sender in PLACEHOLDER_IDS:
            return False
        return await chat_admins.is_admin(bot, chat.id, sender)


class Prompt(Filter):
    """Passes a request with something to say, within MAX_PROMPT_CHARS, giving the handler `prompt`.

    The text is the command's arguments (or the whole message without a command). With `quote=True`, a
    message that replies to someone else's message (not the bot's: that one is in the history) brings the
    replied text along as context: "/ask summarise this" under a long message. The user's own words must fit
    MAX_PROMPT_CHARS; the quoted text is cut to what is left, never refused. A request that does not pass is
    left to the next handler for the same command, which explains what is wrong.
    """

    def __init__(self, *, quote: bool = False) -> None:
        self.quote = quote

    async def __call__(
        self, message: Message, settings: Settings, bot: Bot, command: CommandObject | None = None
    ) -> bool | dict[str, Any]:
        own = clean_prompt(command.args or "" if command is not None else message.text or "")
        if len(own) > settings.max_prompt_chars:
            return False
        quoted = quoted_text(message, bot.id) if self.quote else ""
        prompt = with_quote(own, quoted, settings.max_prompt_chars)
        return {"prompt": prompt} if prompt else False


def quoted_text(message: Message, bot_id: int) -> str:
    """The replied-to message's text or caption (or the part the user quoted), unless the bot wrote it."""
    replied = message.reply_to_message
    if replied is None or (replied.from_user is not None and replied.from_user.id == bot_id):
        return ""
    if message.quote is not None:  # the user picked part of the message
        return clean_prompt(message.quote.text)
    return clean_prompt(replied.text or replied.caption or "")


class MaySteer(Filter):
    """Who may change a conversation's settings (persona, model): anyone in a private chat; in groups the
    chat's admins and the bot's ADMINS (IsAdmin with chat_admins)."""

    async def __call__(
        self, event: TelegramObject, settings: Settings, bot: Bot, chat_admins: ChatAdmins
    ) -> bool:
        chat = event_chat(event)
        if chat is not None and not is_group(chat):
            return True
        return await IsAdmin(chat_admins=True)(event, settings, bot, chat_admins)
