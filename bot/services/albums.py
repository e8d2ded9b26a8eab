"""Albums: Telegram sends each photo of an album (media_group_id) as a message of its own. The first part
to arrive waits until no new part came for a short moment, then answers for all of them; the others only
join it. The parts are held per process: with webhook replicas, parts that reach different replicas are
answered as separate albums (a known limitation, see README)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiogram.types import Message

MAX_PARTS = 10  # Telegram's album limit


@dataclass
class _Album:
    parts: list[Message]
    grew: asyncio.Event = field(default_factory=asyncio.Event)


class AlbumCollector:
    def __init__(self, quiet: float = 0.8) -> None:
        self._quiet = quiet  # seconds without a new part after which the album is taken as complete
        self._albums: dict[tuple[int, str], _Album] = {}

    async def collect(self, message: Message) -> list[Message] | None:
        """All parts of `message`'s album (in order) for the first part; None for the others."""
        assert message.media_group_id is not None
        key = (message.chat.id, message.media_group_id)
        album = self._albums.get(key)
        if album is not None:
            album.parts.append(message)
            album.grew.set()
            return None
        self._albums[key] = album = _Album([message])
        try:
            while len(album.parts) < MAX_PARTS:
                album.grew.clear()
                try:
                    await asyncio.wait_for(album.grew.wait(), self._quiet)
                except TimeoutError:
                    break
        finally:
            del self._albums[key]
        return sorted(album.parts, key=lambda part: part.message_id)
