"""Drawings in flight and drawn: one at a time per person in a chat, and what a 🔄/✏️ button redraws.

`DrawQueue`: a person's second /draw in a chat waits for the first (and is told so at once); other people
and chats never wait. Per process, like ChatService's KeyedLocks.

`DrawMemory`: callback data holds 64 bytes, a prompt may hold 1,000 characters; so a drawn picture's
buttons carry a short id of its request, remembered here (in this process, for `ttl` seconds, the newest
`size` requests). After a restart, on another replica or past the ttl, a button answers that it expired.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

from .locks import KeyedLocks

logger = logging.getLogger(__name__)

DrawerKey = tuple[int, int, int]  # chat, forum topic (0 if none), sender


@dataclass(frozen=True)
class DrawnRequest:
    """What a picture's buttons redraw: the prompt and options (and the edited picture's file id, for an edit),
    and the drawn picture (a file id) to vary."""

    prompt: str
    count: int
    size: str | None
    picture: str | None  # file_id of the first drawn image (a photo's largest size, or a document)
    source: str | None = None  # file_id of the picture that was edited, None for a new drawing


class DrawQueue:
    def __init__(self) -> None:
        self._locks = KeyedLocks()

    @asynccontextmanager
    async def turn(self, key: DrawerKey, on_queued: Callable[[], Awaitable[Any]]) -> AsyncIterator[None]:
        if self._locks.held(key):
            try:
                await on_queued()
            except Exception:  # a lost notice must not fail the drawing itself
                logger.warning("Could not send the queued notice", exc_info=True)
        async with self._locks.hold(key):
            yield


class DrawMemory:
    def __init__(self, size: int = 10_000, ttl: float = 24 * 3600) -> None:
        self._requests: TTLCache[str, DrawnRequest] = TTLCache(maxsize=size, ttl=ttl)

    def remember(self, request: DrawnRequest, ref: str | None = None) -> str:
        """Keep `request` under a new short id (or replace the one under `ref`); return the id."""
        ref = ref or secrets.token_urlsafe(6)  # 8 characters
        self._requests[ref] = request
        return ref

    def recall(self, ref: str) -> DrawnRequest | None:
        return self._requests.get(ref)
