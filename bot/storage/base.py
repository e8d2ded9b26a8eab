"""The history store contract shared by every backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol


class ConversationKey(NamedTuple):
    """A conversation is a chat, or one forum topic of it (thread_id 0 = no topic)."""

    chat_id: int
    thread_id: int = 0


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: role is "user" or "assistant"."""

    role: str
    content: str

    def as_message(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class StoreStats:
    conversations: int
    turns: int


class HistoryStore(Protocol):
    """Keeps the last `limit` turns of each conversation.

    `append` is atomic: the turns of one call are stored together and trimmed together, so a crash or a
    concurrent call never leaves half an exchange behind.
    """

    async def get(self, key: ConversationKey) -> list[Turn]: ...

    async def append(self, key: ConversationKey, turns: Sequence[Turn]) -> None: ...

    async def reset(self, key: ConversationKey) -> None: ...

    async def ping(self) -> bool: ...

    async def stats(self) -> StoreStats: ...

    async def close(self) -> None: ...
