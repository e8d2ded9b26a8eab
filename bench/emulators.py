"""The emulated Bot API and ai-chats.org in a process of their own, driven over a pipe.

The emulators are as much Python as the bot: in the bot's event loop (or in a thread, under the same GIL)
every figure would include their work, and at 1,000 updates they would be the bottleneck. In a separate
process they run on the other core, and each run reports how busy that process was, so a reader can see
that the figure is the bot's. Times are `time.monotonic()`, which is system-wide on Linux, and are all
taken in the emulator process: when an update was queued and when the bot's request arrived.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

TOKEN = "123456:BENCH-token"
ROOT = Path(__file__).resolve().parent.parent  # the checkout: `bench` and `tests` import from here
BOT_ID = 123456
ChatKind = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class Knobs:
    """How the emulators behave; `answer` None keeps the echo, `image_bytes` sets the size of /draw's PNG."""

    tg_latency: float = 0.0
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 8
    answer: str | None = None
    image_bytes: int | None = None


@dataclass(frozen=True)
class Send:
    """One update: a text message in chat `chat_id` (a private chat's user is the chat itself)."""

    text: str
    chat_id: int
    chat_type: ChatKind = "private"


def ask_burst(first_chat: int, count: int) -> list[Send]:
    """`/ask` from `count` private chats, numbered from `first_chat`: the bursts of measures 1 and 2."""
    return [Send(f"/ask q{chat}", chat) for chat in range(first_chat, first_chat + count)]


@dataclass
class Arrivals:
    """What one burst produced: per chat, when its first awaited call arrived (relative to the burst)."""

    pushed_at: float
    first: dict[int, float] = field(default_factory=dict)
    provider_at: dict[int, float] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    emulator_cpu: float = 0.0
    calls: int = 0
    method: str = ""  # of the last awaited call

    @property
    def delays(self) -> list[float]:
        return [at - self.pushed_at for at in self.first.values()]

    @property
    def wall(self) -> float:
        return max(self.delays, default=0.0)


class EmulatorProcess:
    """The parent's handle: `await emu.burst(...)` runs the command in the emulator process."""

    def __init__(self, conn: Connection, tg_url: str, ai_url: str, oa_url: str = "") -> None:
        self._conn = conn
        self.tg_url, self.ai_url, self.oa_url = tg_url, ai_url, oa_url
        self._lock = asyncio.Lock()

    async def _call(self, name: str, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        async with self._lock:
            self._conn.send((name, kwargs))
            ok, result = await loop.run_in_executor(None, self._conn.recv)
        if not ok:
            raise RuntimeError(f"emulator process: {result}")
        return result

    async def configure(self, knobs: Knobs) -> int:
        """Apply `knobs`; return the size of the image /draw will get."""
        size: int = await self._call("configure", knobs=knobs)
        return size

    async def burst(
        self, sends: list[Send], methods: tuple[str, ...] = ("sendMessage",), *, expect: str | None = None,
        timeout: float = 60.0,  # noqa: ASYNC109  (a deadline inside the emulator process)
    ) -> Arrivals:
        result: Arrivals = await self._call("burst", sends=sends, methods=methods, expect=expect, seconds=timeout)
        return result

    async def photo(self, chat_id: int, size: int, timeout: float = 60.0) -> dict[str, Any]:  # noqa: ASYNC109
        """A photo with a caption of about `size` bytes to `chat_id`, answered (needs PROVIDERS=openai)."""
        result: dict[str, Any] = await self._call("photo", chat_id=chat_id, size=size, seconds=timeout)
        return result

    async def reset(self) -> None:
        await self._call("reset")

    async def stop(self) -> None:
        await self._call("stop")


@asynccontextmanager
async def emulator_process(knobs: Knobs | None = None) -> AsyncIterator[EmulatorProcess]:
    """Start the emulators in a fresh interpreter (`python -m bench.emulator_server FD`); stop it on the way out.

    A plain subprocess with a socket pair rather than multiprocessing's spawn, which re-runs the caller's
    main module and so depends on how the bench was started.
    """
    ours, theirs = socket.socketpair()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.emulator_server", str(theirs.fileno()), pass_fds=[theirs.fileno()], cwd=ROOT
    )
    theirs.close()
    conn = Connection(ours.detach())
    loop = asyncio.get_running_loop()
    try:
        if not await loop.run_in_executor(None, conn.poll, 30):
            raise RuntimeError("the emulator process did not start within 30 s")
        tg_url, ai_url, oa_url = conn.recv()
        emu = EmulatorProcess(conn, tg_url, ai_url, oa_url)
        if knobs is not None:
            await emu.configure(knobs)
        yield emu
        await emu.stop()
    finally:
        conn.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
