"""What /cancel can stop: an answer being written or a picture being drawn, per conversation.

`Cancellations` knows the work running in this process; `RedisCancellations` (in `cancel_redis`) also tells
every other replica sharing the Redis, since /cancel may reach a replica that is not doing the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from ..storage import ConversationKey

T = TypeVar("T")


class TurnCancelled(Exception):
    """The user stopped this work with /cancel; nothing of it was stored or sent afterwards."""


class Cancellations:
    """The stoppable work running in this process, by conversation."""

    def __init__(self) -> None:
        self._running: dict[ConversationKey, set[asyncio.Future[Any]]] = {}

    async def run(self, key: ConversationKey, work: Awaitable[T]) -> T:
        """Await `work` in a task of its own, so /cancel stops it without cancelling the caller.

        Raises TurnCancelled when /cancel stopped it; a cancellation of the caller itself (shutdown)
        propagates as it is.
        """
        task = asyncio.ensure_future(work)
        running = self._running.setdefault(key, set())
        running.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                raise TurnCancelled from None
            raise
        finally:
            running.discard(task)
            if not running:
                self._running.pop(key, None)

    def cancel_here(self, key: ConversationKey) -> bool:
        """Stop `key`'s work in this process; False if there was none."""
        tasks = [task for task in self._running.get(key, ()) if not task.done()]
        for task in tasks:
            task.cancel()
        return bool(tasks)

    async def cancel(self, key: ConversationKey) -> bool:
        """Stop `key`'s work wherever it runs; False if none was running."""
        return self.cancel_here(key)

    async def start(self) -> None:
        """Begin listening for other replicas' /cancel (nothing to do in one process)."""

    async def close(self) -> None:
        """Stop listening."""
