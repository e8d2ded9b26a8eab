"""What /stats and /model report: stored conversations and the provider chain's health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provider import FallbackProvider, ProviderStatus

from ..storage import HistoryStore


@dataclass(frozen=True)
class BotStats:
    conversations: int
    turns: int
    providers: Sequence[ProviderStatus]


class StatusService:
    def __init__(self, store: HistoryStore, provider_chain: FallbackProvider) -> None:
        self._store = store
        self._chain = provider_chain

    def providers(self) -> Sequence[ProviderStatus]:
        """The providers in the order they are tried, each with its health right now."""
        return self._chain.status()

    async def stats(self) -> BotStats:
        stored = await self._store.stats()
        return BotStats(stored.conversations, stored.turns, self._chain.status())
