"""Which conversation a message belongs to, and where answers to it go."""

from __future__ import annotations

from typing import Literal

from aiogram.types import Message

from .senders import is_group, sender_id
from .storage import ConversationKey

GroupHistory = Literal["shared", "per_user"]


def conversation_key(
    message: Message, group_history: GroupHistory = "shared", *, user_id: int | None = None
) -> ConversationKey:
    """A group shares one conversation (GROUP_HISTORY=shared) or keeps one per member (per_user); each
    forum topic is its own. `user_id` is whose conversation it is when it is not the message's sender
    (the member who pressed a button under the bot's message)."""
    thread = topic_id(message) or 0
    if group_history == "per_user" and is_group(message.chat):
        member = user_id if user_id is not None else sender_id(message)
        return ConversationKey(message.chat.id, thread, member or 0)
    return ConversationKey(message.chat.id, thread)


def topic_id(message: Message) -> int | None:
    """The forum topic to answer in; reply threads in ordinary groups are not topics."""
    return message.message_thread_id if message.is_topic_message else None
