"""Conversation history backends behind one `HistoryStore` protocol."""

from __future__ import annotations

from ..config import StorageConfig
from .base import ConversationKey, HistoryStore, Turn
from .memory import MemoryHistoryStore
from .sqlite import SQLiteHistoryStore

__all__ = [
    "ConversationKey",
    "HistoryStore",
    "MemoryHistoryStore",
    "SQLiteHistoryStore",
    "Turn",
    "open_store",
]


async def open_store(config: StorageConfig, limit: int) -> HistoryStore:
    """Open the backend the configuration names."""
    if config.kind == "memory":
        return MemoryHistoryStore(limit)
    assert config.path is not None
    return await SQLiteHistoryStore.open(config.path, limit)
