"""In-process history: for tests and for users who want no file at all (`STORAGE_URL=memory://`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from .base import ConversationKey, StoreStats, Turn


class MemoryHistoryStore:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._conversations: dict[ConversationKey, deque[Turn]] = {}

    async def get(self, key: ConversationKey) -> list[Turn]:
        return list(self._conversations.get(key, ()))

    async def append(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        self._conversations.setdefault(key, deque(maxlen=self._limit)).extend(turns)

    async def reset(self, key: ConversationKey) -> None:
        self._conversations.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def stats(self) -> StoreStats:
        return StoreStats(len(self._conversations), sum(map(len, self._conversations.values())))

    async def close(self) -> None:
        self._conversations.clear()
