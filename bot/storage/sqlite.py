"""History in one SQLite file through aiosqlite.

WAL mode with synchronous=NORMAL: a committed turn survives the process being killed, and readers never
wait for the writer. One connection serves the whole bot; writes are serialised with an asyncio lock
because SQLite transactions on a shared connection must not interleave. The schema carries a version
(`PRAGMA user_version`) and a file written by an older version is migrated in place when it is opened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiosqlite
from cachetools import LRUCache

from .base import ChatSettings, ConversationKey, StoreStats, Turn

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_TABLES = """
CREATE TABLE IF NOT EXISTS turns (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL,
    role       TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    created_at REAL    NOT NULL,
    user_id    INTEGER NOT NULL DEFAULT 0,
    images     TEXT
);
CREATE TABLE IF NOT EXISTS chat_settings (
    chat_id   INTEGER NOT NULL,
    thread_id INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    persona   TEXT,
    model     TEXT,
    PRIMARY KEY (chat_id, thread_id, user_id)
);
CREATE TABLE IF NOT EXISTS usage (
    day     TEXT    NOT NULL,
    user_id INTEGER NOT NULL,
    tokens  INTEGER NOT NULL,
    PRIMARY KEY (day, user_id)
);
DROP INDEX IF EXISTS turns_by_conversation;
CREATE INDEX IF NOT EXISTS turns_by_conversation_v1 ON turns (chat_id, thread_id, user_id, id);
"""
# Version 0 (the first release) had turns without user_id and images, and no other table.
_FROM_V0 = """
ALTER TABLE turns ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN images TEXT;
"""
_WHERE_KEY = "chat_id = ? AND thread_id = ? AND user_id = ?"
# Chats whose settings are kept in memory: a read per turn must not cost a trip to the database thread.
# While every row fits (chats that changed a setting), all of them are, and a chat not cached has none.
SETTINGS_CACHE = 100_000


class SQLiteHistoryStore:
    def __init__(
        self, db: aiosqlite.Connection, limit: int, settings: dict[ConversationKey, ChatSettings] | None = None
    ) -> None:
        self._db = db
        self._limit = limit
        self._write_lock = asyncio.Lock()
        # Only this process writes the file (SQLite is for a single bot process), so the cache stays true;
        # `settings` given whole (every row, see `open`) means a chat missing from it has chosen nothing.
        self._settings: LRUCache[ConversationKey, ChatSettings] = LRUCache(SETTINGS_CACHE)
        self._settings.update(settings or {})
        self._all_settings_cached = settings is not None

    @classmethod
    async def open(cls, path: Path, limit: int) -> SQLiteHistoryStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await _migrate(db, path)
        rows = await db.execute_fetchall(
            "SELECT chat_id, thread_id, user_id, persona, model FROM chat_settings LIMIT ?", (SETTINGS_CACHE + 1,)
        )
        cached = {ConversationKey(c, t, u): ChatSettings(p, m) for c, t, u, p, m in rows}
        logger.info("History store: SQLite at %s", path)
        return cls(db, limit, cached if len(cached) <= SETTINGS_CACHE else None)

    async def get(self, key: ConversationKey) -> list[Turn]:
        rows = await self._db.execute_fetchall(  # one trip to aiosqlite's thread, where a cursor takes four
            f"SELECT role, content, images FROM turns WHERE {_WHERE_KEY} ORDER BY id", key
        )
        return [Turn(role, content, tuple(json.loads(images)) if images else ()) for role, content, images in rows]

    async def append(self, key: ConversationKey, turns: Sequence[Turn], *, replace_last: int = 0) -> None:
        now = time.time()
        rows = [(*key, t.role, t.content, json.dumps(t.images) if t.images else None, now) for t in turns]
        async with self._write_lock:
            try:  # the first statement opens the transaction (sqlite3's implicit BEGIN): one trip fewer
                if replace_last:
                    await self._db.execute(
                        f"DELETE FROM turns WHERE id IN (SELECT id FROM turns WHERE {_WHERE_KEY} "
                        "ORDER BY id DESC LIMIT ?)",
                        (*key, replace_last),
                    )
                await self._db.executemany(
                    "INSERT INTO turns (chat_id, thread_id, user_id, role, content, images, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                await self._db.execute(
                    f"""DELETE FROM turns WHERE {_WHERE_KEY} AND id <= (
                           SELECT id FROM turns WHERE {_WHERE_KEY} ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                    (*key, *key, self._limit),
                )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

    async def reset(self, key: ConversationKey) -> None:
        async with self._write_lock:
            await self._db.execute(f"DELETE FROM turns WHERE {_WHERE_KEY}", key)
            await self._db.commit()

    async def get_settings(self, key: ConversationKey) -> ChatSettings:
        cached = self._settings.get(key)
        if cached is not None:
            return cached
        if self._all_settings_cached:
            return ChatSettings()
        rows = await self._db.execute_fetchall(f"SELECT persona, model FROM chat_settings WHERE {_WHERE_KEY}", key)
        settings = next((ChatSettings(persona, model) for persona, model in rows), ChatSettings())
        self._settings[key] = settings
        return settings

    async def set_settings(self, key: ConversationKey, settings: ChatSettings) -> None:
        async with self._write_lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO chat_settings (chat_id, thread_id, user_id, persona, model) "
                "VALUES (?, ?, ?, ?, ?)",
                (*key, settings.persona, settings.model),
            )
            await self._db.commit()
        if key not in self._settings and len(self._settings) >= SETTINGS_CACHE:
            self._all_settings_cached = False  # a row is about to be evicted: misses must ask the file again
        self._settings[key] = settings

    async def add_usage(self, day: str, tokens: Mapping[int, int]) -> None:
        async with self._write_lock:
            try:
                await self._db.executemany(
                    "INSERT INTO usage (day, user_id, tokens) VALUES (?, ?, ?) "
                    "ON CONFLICT (day, user_id) DO UPDATE SET tokens = tokens + excluded.tokens",
                    [(day, user_id, count) for user_id, count in tokens.items()],
                )
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

    async def usage(self, user_id: int, day: str) -> int:
        rows = await self._db.execute_fetchall("SELECT tokens FROM usage WHERE day = ? AND user_id = ?", (day, user_id))
        return int(next(iter(rows))[0]) if rows else 0

    async def top_usage(self, day: str, limit: int) -> list[tuple[int, int]]:
        rows = await self._db.execute_fetchall(
            "SELECT user_id, tokens FROM usage WHERE day = ? ORDER BY tokens DESC, user_id LIMIT ?", (day, limit)
        )
        return [(int(user), int(tokens)) for user, tokens in rows]

    async def ping(self) -> bool:
        try:
            await self._db.execute("SELECT 1")
        except Exception:  # any failure means "not reachable" to a health check
            return False
        return True

    async def stats(self) -> StoreStats:
        rows = await self._db.execute_fetchall(  # an aggregate: always exactly one row
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM turns "
            "GROUP BY chat_id, thread_id, user_id)"
        )
        conversations, turns = next(iter(rows))
        return StoreStats(conversations, turns)

    async def close(self) -> None:
        await self._db.close()


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction: a new file gets the tables, an old one its changes."""
    rows = await db.execute_fetchall("PRAGMA user_version")
    version = int(next(iter(rows))[0])
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} was written by a newer version of the bot (schema {version})")
    if version == SCHEMA_VERSION:
        return
    tables = await db.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'turns'")
    script = (_FROM_V0 if tables else "") + _TABLES + f"PRAGMA user_version = {SCHEMA_VERSION};"
    await db.executescript(f"BEGIN;\n{script}\nCOMMIT;")
    if tables:
        logger.info("History store: migrated %s from schema %d to %d", path, version, SCHEMA_VERSION)
