"""Tracks the tasks handling updates, so shutdown can wait for answers on their way, then stop the rest.

aiogram's polling loop runs each update as a task and does not wait for those tasks when it stops; in webhook
mode each update runs in a background task too (see `bot.webhook`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

logger = logging.getLogger(__name__)

# After the deadline the unfinished handlers are cancelled; this long is left for them to unwind
# (delete a preview, release a lock) before the bot's session closes under them.
UNWIND_SECONDS = 1.0


class InFlight(BaseMiddleware):
    """An outer update middleware tracking the tasks whose handlers are running.

    A task can also be tracked from its creation (`track`), before the dispatcher reaches this middleware:
    webhook mode does so, so an update accepted during shutdown is never missed.
    """

    def __init__(self) -> None:
        self._tasks: Counter[asyncio.Task[Any]] = Counter()
        self._idle = asyncio.Event()
        self._idle.set()
        self._deadline: float | None = None  # set once shutdown begins

    @property
    def count(self) -> int:
        return len(self._tasks)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self._enter(task)
        try:
            return await handler(event, data)
        finally:
            self._leave(task)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Count `task` as in flight until it is done."""
        self._enter(task)
        task.add_done_callback(self._leave)

    def _enter(self, task: asyncio.Task[Any]) -> None:
        self._tasks[task] += 1
        self._idle.clear()

    def _leave(self, task: asyncio.Task[Any]) -> None:
        self._tasks[task] -= 1
        if self._tasks[task] <= 0:
            del self._tasks[task]
        if not self._tasks:
            self._idle.set()

    async def drain(self, grace: float) -> bool:
        """Wait until no handler runs; False if some were still running after `grace` seconds."""
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True

    def begin_shutdown(self, timeout: float) -> None:
        """Shutdown starts now: whatever still runs `timeout` seconds from now is cancelled by `finish`.

        Only the first call counts, so every stage of a shutdown shares one deadline.
        """
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + timeout

    async def finish(self) -> bool:
        """Wait for the handlers running (and any starting meanwhile) until the shutdown deadline, then cancel
        those still running, so an unfinished answer is never stored; False then."""
        assert self._deadline is not None, "call begin_shutdown first"
        remaining = max(0.0, self._deadline - asyncio.get_running_loop().time())
        if self._tasks:
            logger.info("Waiting up to %.0f s for %d answer(s) in flight", remaining, len(self._tasks))
        if await self.drain(remaining):
            return True
        unfinished = list(self._tasks)
        if not unfinished:
            return True
        logger.warning("Shutdown deadline reached: stopping %d unfinished answer(s); none of them is stored",
                       len(unfinished))
        for task in unfinished:
            task.cancel()
        _, stuck = await asyncio.wait(unfinished, timeout=UNWIND_SECONDS)
        if stuck:
            logger.warning("Shutdown: %d handler(s) ignored cancellation", len(stuck))
        return False
