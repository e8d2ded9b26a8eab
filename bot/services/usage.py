"""Tokens per user per day (UTC), counted in the store so every replica sees the same totals; DAILY_TOKENS.

The provider's own count (`Usage`) is used where the server sends one; otherwise the turn is estimated at
four characters a token over everything sent and received.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ..storage import HistoryStore

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class UsageService:
    def __init__(
        self,
        store: HistoryStore,
        *,
        daily_tokens: int | None = None,
        admins: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._store = store
        self.daily_tokens = daily_tokens
        self._admins = admins
        self._clock = clock

    def today(self) -> str:
        return self._clock().strftime("%Y-%m-%d")

    def resets_at(self) -> datetime:
        """The next midnight UTC, when every user's count starts again."""
        now = self._clock()
        return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)

    async def record(self, user_id: int, tokens: int) -> int:
        total = await self._store.add_usage(user_id, self.today(), tokens)
        logger.debug("user=%s: %d tokens, %d today", user_id, tokens, total)
        return total

    async def used(self, user_id: int) -> int:
        return await self._store.usage(user_id, self.today())

    async def refuses(self, user_id: int) -> bool:
        """Whether the user has spent DAILY_TOKENS today (admins never are refused)."""
        if self.daily_tokens is None or user_id in self._admins:
            return False
        return await self.used(user_id) >= self.daily_tokens

    async def top(self, limit: int = 10) -> list[tuple[int, int]]:
        return await self._store.top_usage(self.today(), limit)
