"""Which conversation a message belongs to, and where answers to it go."""

from __future__ import annotations

from aiogram.types import Message

from .storage import ConversationKey


def conversation_key(message: Message) -> ConversationKey:
    """A group shares one conversation; each forum topic is its own."""
    return ConversationKey(message.chat.id, topic_id(message) or 0)


def topic_id(message: Message) -> int | None:
    """The forum topic to answer in; reply threads in ordinary groups are not topics."""
    return message.message_thread_id if message.is_topic_message else None
