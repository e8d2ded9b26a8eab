"""Tracks updates being handled so shutdown can wait for answers still on their way.

aiogram's polling loop runs each update as a task and does not wait for those tasks when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

logger = logging.getLogger(__name__)


class InFlight(BaseMiddleware):
    """An outer update middleware counting handlers that are running."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def drain(self, grace: float) -> bool:
        """Wait until no handler runs; False if some were still running after `grace` seconds."""
        if self._count:
            logger.info("Waiting up to %.0f s for %d answer(s) in flight", grace, self._count)
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            logger.warning("Shutdown: %d answer(s) still in flight after %.0f s", self._count, grace)
            return False
        return True
