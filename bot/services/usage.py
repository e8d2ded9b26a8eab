"""Tokens per user per day (UTC), counted in the store so every replica sees the same totals; DAILY_TOKENS.

The provider's own count (`Usage`) is used where the server sends one; otherwise the turn is estimated at
four characters a token over everything sent and received.

Counts are written behind: a turn adds to a counter in memory, and the counters of every user reach the
store together at most `flush_after` seconds later (and at shutdown), one write for all of them. A write
per turn would cost every answer a store transaction of its own; this way this process's own totals are
exact at once and other replicas see them within `flush_after`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
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
        flush_after: float = 1.0,
    ) -> None:
        self._store = store
        self.daily_tokens = daily_tokens
        self._admins = admins
        self._clock = clock
        self._flush_after = flush_after
        self._pending: dict[str, Counter[int]] = {}  # day -> user -> tokens not yet in the store
        self._flushing: asyncio.Task[None] | None = None

    def today(self) -> str:
        return self._clock().strftime("%Y-%m-%d")

    def resets_at(self) -> datetime:
        """The next midnight UTC, when every user's count starts again."""
        now = self._clock()
        return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)

    def record(self, user_id: int, tokens: int) -> None:
        """Count `tokens` for the user today; they reach the store with the next flush."""
        self._pending.setdefault(self.today(), Counter())[user_id] += tokens
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_later())

    async def used(self, user_id: int) -> int:
        day = self.today()
        return await self._store.usage(user_id, day) + self._pending.get(day, Counter())[user_id]

    async def refuses(self, user_id: int) -> bool:
        """Whether the user has spent DAILY_TOKENS today (admins never are refused)."""
        if self.daily_tokens is None or user_id in self._admins:
            return False
        return await self.used(user_id) >= self.daily_tokens

    async def top(self, limit: int = 10) -> list[tuple[int, int]]:
        await self.flush()
        return await self._store.top_usage(self.today(), limit)

    async def flush(self) -> None:
        """Write every pending count to the store now; a failed write keeps them for the next flush."""
        pending, self._pending = self._pending, {}
        for day, counts in pending.items():
            try:
                await self._store.add_usage(day, counts)
            except Exception:  # the store is down: keep the counts, never lose them for a lost write
                logger.warning("Could not store the token counts of %d user(s); kept for later", len(counts),
                               exc_info=True)
                self._pending.setdefault(day, Counter()).update(counts)

    async def close(self) -> None:
        """At shutdown: the counts still in memory go to the store."""
        if self._flushing is not None:
            self._flushing.cancel()
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_after)
        await self.flush()
