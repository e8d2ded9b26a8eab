"""In-process history: for tests and for users who want no file at all (`STORAGE_URL=memory://`)."""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Mapping, Sequence

from .base import ChatSettings, ConversationKey, StoreStats, Turn


class MemoryHistoryStore:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._conversations: dict[ConversationKey, deque[Turn]] = {}
        self._settings: dict[ConversationKey, ChatSettings] = {}
        self._usage: dict[str, Counter[int]] = {}

    async def get(self, key: ConversationKey) -> list[Turn]:
        return list(self._conversations.get(key, ()))

    async def append(self, key: ConversationKey, turns: Sequence[Turn], *, replace_last: int = 0) -> None:
        history = self._conversations.setdefault(key, deque(maxlen=self._limit))
        for _ in range(min(replace_last, len(history))):
            history.pop()
        history.extend(turns)

    async def reset(self, key: ConversationKey) -> None:
        self._conversations.pop(key, None)

    async def get_settings(self, key: ConversationKey) -> ChatSettings:
        return self._settings.get(key, ChatSettings())

    async def set_settings(self, key: ConversationKey, settings: ChatSettings) -> None:
        self._settings[key] = settings

    async def add_usage(self, day: str, tokens: Mapping[int, int]) -> None:
        self._usage.setdefault(day, Counter()).update(tokens)

    async def usage(self, user_id: int, day: str) -> int:
        return self._usage.get(day, Counter())[user_id]

    async def top_usage(self, day: str, limit: int) -> list[tuple[int, int]]:
        return heapq.nlargest(limit, self._usage.get(day, Counter()).items(), key=lambda item: item[1])

    async def ping(self) -> bool:
        return True

    async def stats(self) -> StoreStats:
        return StoreStats(len(self._conversations), sum(map(len, self._conversations.values())))

    async def close(self) -> None:
        self._conversations.clear()
