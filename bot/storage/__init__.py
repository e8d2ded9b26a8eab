"""Conversation history backends behind one `HistoryStore` protocol; the Redis one is in `.redis`."""

from __future__ import annotations

from ..config import StorageConfig
from .base import ChatSettings, ConversationKey, HistoryStore, StoreStats, Turn
from .memory import MemoryHistoryStore
from .sqlite import SQLiteHistoryStore

__all__ = [
    "ChatSettings",
    "ConversationKey",
    "HistoryStore",
    "MemoryHistoryStore",
    "SQLiteHistoryStore",
    "StoreStats",
    "Turn",
    "open_store",
]


async def open_store(
    config: StorageConfig, limit: int, *, ttl: int | None = None, namespace: str = "aichats"
) -> HistoryStore:
    """Open the backend the configuration names; `ttl` and `namespace` (the key prefix) apply to Redis."""
    if config.kind == "memory":
        return MemoryHistoryStore(limit)
    if config.kind == "redis":
        assert config.url is not None
        from .redis import RedisHistoryStore  # redis-py is loaded only for a Redis store

        return await RedisHistoryStore.open(config.url, limit, namespace=namespace, ttl=ttl)
    assert config.path is not None
    return await SQLiteHistoryStore.open(config.path, limit)
