"""History in one SQLite file through aiosqlite.

WAL mode with synchronous=NORMAL: a committed turn survives the process being killed, and readers never
wait for the writer. One connection serves the whole bot; writes are serialised with an asyncio lock
because SQLite transactions on a shared connection must not interleave.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from .base import ConversationKey, StoreStats, Turn

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL,
    role       TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    created_at REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (chat_id, thread_id, id);
"""


class SQLiteHistoryStore:
    def __init__(self, db: aiosqlite.Connection, limit: int) -> None:
        self._db = db
        self._limit = limit
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, limit: int) -> SQLiteHistoryStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.executescript(_SCHEMA)
        await db.commit()
        logger.info("History store: SQLite at %s", path)
        return cls(db, limit)

    async def get(self, key: ConversationKey) -> list[Turn]:
        rows = await self._db.execute_fetchall(  # one trip to aiosqlite's thread, where a cursor takes four
            "SELECT role, content FROM turns WHERE chat_id = ? AND thread_id = ? ORDER BY id",
            (key.chat_id, key.thread_id),
        )
        return [Turn(role, content) for role, content in rows]

    async def append(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        now = time.time()
        async with self._write_lock:
            try:  # the INSERT opens the transaction (sqlite3's implicit BEGIN): one trip fewer
                await self._db.executemany(
                    "INSERT INTO turns (chat_id, thread_id, role, content, created_at) VALUES (?, ?, ?, ?, ?)",
                    [(key.chat_id, key.thread_id, t.role, t.content, now) for t in turns],
                )
                await self._db.execute(
                    """DELETE FROM turns WHERE chat_id = ? AND thread_id = ? AND id <= (
                           SELECT id FROM turns WHERE chat_id = ? AND thread_id = ?
                           ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                    (key.chat_id, key.thread_id, key.chat_id, key.thread_id, self._limit),
                )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

    async def reset(self, key: ConversationKey) -> None:
        async with self._write_lock:
            await self._db.execute(
                "DELETE FROM turns WHERE chat_id = ? AND thread_id = ?", (key.chat_id, key.thread_id)
            )
            await self._db.commit()

    async def ping(self) -> bool:
        try:
            await self._db.execute("SELECT 1")
        except Exception:  # any failure means "not reachable" to a health check
            return False
        return True

    async def stats(self) -> StoreStats:
        async with self._db.execute(
            "SELECT COUNT(DISTINCT chat_id || ':' || thread_id), COUNT(*) FROM turns"
        ) as cursor:
            row = await cursor.fetchone()
        conversations, turns = row if row else (0, 0)
        return StoreStats(conversations, turns)

    async def close(self) -> None:
        await self._db.close()
