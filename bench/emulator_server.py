"""The emulator process: the Bot API and ai-chats.org emulators, serving while commands come over a pipe.

Started by `bench.emulators.emulator_process` as `python -m bench.emulator_server FD`.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import re
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from tests.emulators import AiChatsEmulator, ApiCall, TelegramEmulator
from tests.emulators.openai import OpenAIEmulator

from .emulators import BOT_ID, TOKEN, Arrivals, Knobs, Send

_QUESTION_RE = re.compile(r"\bq(-?\d+)\b")


class _Telegram(TelegramEmulator):
    """Counts the first awaited call per chat as it is recorded: `wait_for` rescans every call (O(n²))."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.methods: frozenset[str] = frozenset()
        self.expect: str | None = None
        self.waiting: set[int] = set()
        self.arrivals: Arrivals | None = None
        self.done = asyncio.Event()

    def watch(self, methods: tuple[str, ...], chats: set[int], expect: str | None, pushed_at: float) -> Arrivals:
        self.methods, self.expect, self.waiting = frozenset(methods), expect, set(chats)
        self.arrivals = Arrivals(pushed_at)
        self.done.clear()
        return self.arrivals

    def _record(self, call: ApiCall) -> None:
        super()._record(call)
        chat_id = call.params.get("chat_id")
        if call.method not in self.methods or chat_id not in self.waiting or self.arrivals is None:
            return
        if not call.ok:
            self.arrivals.wrong.append(f"{call.method} {call.status} {call.error}")
        elif self.expect is not None and self.expect not in str(call.params.get("text", "")):
            self.arrivals.wrong.append(f"{call.method}: {str(call.params.get('text'))[:80]!r}")
        self.arrivals.first[chat_id] = call.at
        self.arrivals.method = call.method
        self.waiting.discard(chat_id)
        if not self.waiting:
            self.done.set()


def noise_png(size: int) -> bytes:
    """A real PNG of about `size` bytes: random pixels do not compress, so the file is as big as the image."""
    from PIL import Image

    side = max(1, math.isqrt(size // 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class _Server:
    """The emulator process's side: one command at a time from the pipe, the HTTP servers meanwhile."""

    def __init__(self, tg: _Telegram, ai: AiChatsEmulator, oa: OpenAIEmulator) -> None:
        self.tg, self.ai, self.oa = tg, ai, oa

    async def photo(self, chat_id: int, size: int, seconds: float) -> dict[str, Any]:
        """Send a noise photo of about `size` bytes with a caption; wait for the answer. The bot must be on
        the OpenAI emulator; returns the photo's size and whether the model got its exact bytes."""
        import base64

        image = noise_png(size)
        self.oa.requests.clear()
        arrivals = self.tg.watch(("sendMessage",), {chat_id}, "Echo: describe", 0.0)
        self.tg.push_update(self.tg.photo_update(image, caption="describe", chat_id=chat_id, user_id=chat_id))
        arrivals.pushed_at = time.monotonic()
        await asyncio.wait_for(self.tg.done.wait(), seconds)
        urls = [p["image_url"]["url"] for m in self.oa.chat_messages[-1] if isinstance(m["content"], list)
                for p in m["content"] if p.get("type") == "image_url"]
        exact = urls[-1] == "data:image/png;base64," + base64.b64encode(image).decode() if urls else False
        return {"image": len(image), "exact": exact, "wrong": arrivals.wrong,
                "delay": arrivals.wall}

    async def configure(self, knobs: Knobs) -> int:
        """Apply `knobs`; return the size of the image /draw will get."""
        self.tg.latency = knobs.tg_latency
        self.ai.first_chunk_delay, self.ai.chunk_delay = knobs.first_chunk_delay, knobs.chunk_delay
        self.ai.chunk_size = knobs.chunk_size
        answer = knobs.answer
        if answer is not None:
            self.ai.responder = lambda prompt: answer
        if knobs.image_bytes is not None:
            self.ai.image_bytes = noise_png(knobs.image_bytes)
        return len(self.ai.image_bytes)

    async def burst(self, sends: list[Send], methods: tuple[str, ...], expect: str | None, seconds: float) -> Arrivals:
        """Queue every update at once, then wait until each chat got one of `methods`."""
        self.tg.calls.clear()
        self.ai.requests.clear()
        cpu = time.process_time()
        updates = [
            self.tg.message_update(s.text, chat_id=s.chat_id, chat_type=s.chat_type, user_id=abs(s.chat_id))
            for s in sends
        ]
        arrivals = self.tg.watch(methods, {s.chat_id for s in sends}, expect, 0.0)
        for update in updates:
            self.tg.push_update(update)
        arrivals.pushed_at = time.monotonic()  # the bot can fetch none of them before this loop yields
        try:
            await asyncio.wait_for(self.tg.done.wait(), seconds)
        except TimeoutError:
            arrivals.wrong.append(f"timed out after {seconds:.0f} s: {len(self.tg.waiting)} chats without an answer")
        arrivals.emulator_cpu = time.process_time() - cpu
        arrivals.calls = len(self.tg.calls)
        for request in self.ai.requests:
            match = _QUESTION_RE.search(request.prompt or "")
            if match:
                arrivals.provider_at.setdefault(int(match[1]), request.at)
        return arrivals

    async def reset(self) -> None:
        """Forget everything but the chats: a stopped bot may leave updates unconfirmed."""
        self.tg.pending.clear()
        self.tg.calls.clear()
        self.ai.requests.clear()
        self.ai.chat_prompts.clear()
        self.ai.image_prompts.clear()


async def _serve(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with (
        _Telegram(token=TOKEN, bot_username="BenchBot", bot_id=BOT_ID) as tg,
        AiChatsEmulator() as ai,
        OpenAIEmulator() as oa,
    ):
        server = _Server(tg, ai, oa)
        conn.send((tg.base_url, ai.base_url, oa.base_url))
        while True:
            try:
                name, kwargs = await loop.run_in_executor(None, conn.recv)
            except EOFError:  # the bench failed and went away: nothing left to serve
                return
            if name == "stop":
                break
            try:
                conn.send((True, await getattr(server, name)(**kwargs)))
            except Exception as error:  # reported to the bench, which re-raises it there
                conn.send((False, f"{type(error).__name__}: {error}"))
        conn.send((True, None))


if __name__ == "__main__":
    asyncio.run(_serve(Connection(int(sys.argv[1]))))
