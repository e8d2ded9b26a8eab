"""The history store contract shared by every backend: turns, per-conversation settings, token usage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


class ConversationKey(NamedTuple):
    """A conversation is a chat, one forum topic of it (thread_id 0 = no topic), and in groups with
    GROUP_HISTORY=per_user one member's thread of it (user_id 0 = shared by everyone in the chat)."""

    chat_id: int
    thread_id: int = 0
    user_id: int = 0

    @property
    def chat_scope(self) -> ConversationKey:
        """The key settings live under: a persona or model is chosen for the chat (or topic), not per member."""
        return ConversationKey(self.chat_id, self.thread_id) if self.user_id else self


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: role is "user" or "assistant".

    `images` are Telegram file ids of the pictures sent with a user turn: the bytes are never stored, and
    are downloaded again when a later question needs them.
    """

    role: str
    content: str
    images: tuple[str, ...] = ()

    def as_message(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.images:
            data["images"] = list(self.images)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(data["role"], data["content"], tuple(data.get("images") or ()))


@dataclass(frozen=True)
class ChatSettings:
    """What a chat chose for itself; None means the bot's configured default."""

    persona: str | None = None  # the system prompt (SYSTEM_PROMPT when None)
    model: str | None = None  # one of OPENAI_MODELS (the first when None)


@dataclass(frozen=True)
class StoreStats:
    conversations: int
    turns: int


class HistoryStore(Protocol):
    """Keeps the last `limit` turns of each conversation, each chat's settings and each user's daily tokens.

    `append` is atomic: the turns of one call are stored together and trimmed together (after dropping the
    last `replace_last` turns, for an answer given again), so a crash or a concurrent call never leaves half
    an exchange behind.
    """

    async def get(self, key: ConversationKey) -> list[Turn]: ...

    async def append(self, key: ConversationKey, turns: Sequence[Turn], *, replace_last: int = 0) -> None: ...

    async def reset(self, key: ConversationKey) -> None: ...

    async def get_settings(self, key: ConversationKey) -> ChatSettings: ...

    async def set_settings(self, key: ConversationKey, settings: ChatSettings) -> None: ...

    async def add_usage(self, day: str, tokens: Mapping[int, int]) -> None:
        """Count each user's `tokens` on `day` (YYYY-MM-DD, UTC), all in one write."""
        ...

    async def usage(self, user_id: int, day: str) -> int: ...

    async def top_usage(self, day: str, limit: int) -> list[tuple[int, int]]:
        """The day's heaviest users as (user id, tokens), most first."""
        ...

    async def ping(self) -> bool: ...

    async def stats(self) -> StoreStats: ...

    async def close(self) -> None: ...
