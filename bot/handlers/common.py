"""Small helpers the command modules share."""

from __future__ import annotations

from aiogram.types import Message

from ..storage import ConversationKey


def conversation_key(message: Message) -> ConversationKey:
    """A group shares one conversation; each forum topic is its own."""
    return ConversationKey(message.chat.id, topic_id(message) or 0)


def topic_id(message: Message) -> int | None:
    """The forum topic to answer in; reply threads in ordinary groups are not topics."""
    return message.message_thread_id if message.is_topic_message else None


def cut_utf16(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-16 code units, the way Telegram counts, never halving a character."""
    if len(text) <= limit // 2:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text
