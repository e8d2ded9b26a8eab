"""Who sent an update: a person, or a chat speaking for itself (an anonymous group admin, a channel).

A message sent as the group (by an anonymous admin) or as a channel comes `from` a placeholder account that is
the same in every chat (GroupAnonymousBot, Channel_Bot, and Telegram's service account for automatic forwards);
the real sender is `message.sender_chat`. Rate limits, access lists, admin checks and refusals all ask
`sender_id`, so those senders get buckets and answers of their own instead of sharing the placeholder's.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject

ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot: "from" of messages sent as the group
CHANNEL_BOT_ID = 136817688  # @Channel_Bot: "from" of messages sent as a channel
PLACEHOLDER_IDS = frozenset({ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID, 777000})  # 777000: automatic forwards


def sender_chat(event: TelegramObject) -> Chat | None:
    """The chat a message was sent as (the group itself, or a channel); None for a person."""
    return event.sender_chat if isinstance(event, Message) else None


def sender_id(event: TelegramObject) -> int | None:
    """The id that stands for the sender: the user's id, or the sender chat's id (negative) for a message
    sent as a group or channel. Callback queries always come from the person who pressed the button."""
    if isinstance(event, Message):
        if event.sender_chat is not None:
            return event.sender_chat.id
        if event.from_user is not None:
            return event.from_user.id
        return event.chat.id  # a message with neither (not sent by Telegram today): the chat speaks
    if isinstance(event, CallbackQuery):
        return event.from_user.id
    return None  # the guards and filters asking see only messages and button presses


def speaks_as_chat(event: TelegramObject) -> bool:
    """True when `sender_id` is a chat's id rather than a person's."""
    return sender_chat(event) is not None


def event_chat(event: TelegramObject) -> Chat | None:
    """The chat the event happened in (for a button: the chat of the message carrying it)."""
    if isinstance(event, Message):
        return event.chat
    if isinstance(event, CallbackQuery) and event.message is not None:
        return event.message.chat
    return None


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
