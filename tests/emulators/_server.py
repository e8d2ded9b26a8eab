"""Shared lifecycle for the emulators: an aiohttp app on 127.0.0.1 with a random free port."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from aiohttp import web

MAX_BODY = 64 * 1024 * 1024  # big enough that size limits are ours to enforce, not aiohttp's
# Connections waiting to be accepted. aiohttp's default of 128 is small for a stand-in of Telegram or a
# model's API: 1,000 clients connecting at once overflowed it, and the kernel dropped their SYNs, which
# clients resend only after 1 s (BENCHMARKS.md). The kernel caps it at net.core.somaxconn.
BACKLOG = 4096


class LocalServer:
    """Base class: subclasses add routes to ``self.app`` in ``__init__`` and get ``base_url`` after start."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=MAX_BODY)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError(f"{type(self).__name__} is not started (use `async with`)")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        # handler_cancellation: a handler stops as soon as its client disconnects (endless streams, long
        # polls); a short shutdown_timeout keeps test teardown fast even if something is still pending.
        runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=0.3, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=BACKLOG)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def close(self) -> None:
        await self.on_close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def on_close(self) -> None:
        """Hook to wake up pending handlers before the runner waits for them."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def abort_connection(request: web.Request) -> web.Response:
    """Close the TCP connection without an HTTP response, like a crashed server or a network cut.

    The returned response is never written; it only satisfies aiohttp's handler contract.
    """
    transport = request.transport
    request.protocol.force_close()
    if transport is not None:
        transport.abort()
    return web.Response()


class Broadcast:
    """Wake every waiter at once from sync or async code (an asyncio.Condition needs its lock)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None) -> bool:
        """Return True when woken, False after ``seconds``."""
        event = self._event
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True
