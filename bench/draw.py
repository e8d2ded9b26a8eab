"""Measure 4: /draw with an 8 MB PNG: the bot's peak memory growth, and the time to its sendPhoto request.

The image is random noise (it does not compress, so the PNG really is 8 MB), made in the emulator process.
The bot runs in a fresh interpreter (`python -m bench.draw SIZE`) with the emulators in yet another one,
so the figure holds only the bot's memory. It first draws a small picture, so that lazily loaded code
and buffers are in place; then the big /draw runs with the kernel's peak-RSS mark reset just before it
(VmHWM, via /proc/self/clear_refs): peak growth = peak RSS during the /draw − RSS just before it. A second
big /draw runs under tracemalloc, to show how much of that is Python objects. The time is from the
update being queued to the sendPhoto request reaching the emulated Bot API (before its body is read).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from bot.lazy_types import import_aiogram_lazily
from bot.loop import run

from .emulators import ROOT, Knobs, Send, emulator_process
from .memory import reset_peak, rss_mb
from .stats import ms
from .table import Row

GOAL_FACTOR = 3.0
IMAGE_MB = 8
SENT = ("sendPhoto", "sendDocument")


async def measure(workdir: Path, image_mb: float = IMAGE_MB) -> list[Row]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.draw", str(int(image_mb * 2**20)), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"bench.draw exited with {process.returncode}")
    r: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    image = r["image"] / 2**20
    growth = r["peak"] - r["before"]
    title = f"/draw with a {image:.1f} MB PNG"
    return [
        Row("4", f"{title}: peak RSS growth of the bot",
            f"{growth:.1f} MB = {growth / image:.1f}× the image (Python objects peak {r['traced'] / 2**20:.1f} MB)",
            f"≤ {GOAL_FACTOR:g}× ({GOAL_FACTOR * image:.0f} MB)", growth <= GOAL_FACTOR * image),
        Row("4", f"{title}: time to the {r['method']} request", ms(r["delay"])),
    ]


async def _draw(emu: Any, chat: int) -> tuple[float, str]:
    arrivals = await emu.burst([Send(f"/draw q{chat} noise", chat)], SENT, timeout=60)
    if arrivals.wrong or chat not in arrivals.first:
        raise RuntimeError(f"/draw failed: {arrivals.wrong}")
    return arrivals.wall, arrivals.method


async def _child(size: int) -> dict[str, Any]:
    from .harness import bot_settings, running_bot, wait_idle  # after main's import_aiogram_lazily

    with tempfile.TemporaryDirectory() as tmp:
        async with emulator_process() as emu, running_bot(bot_settings(emu, Path(tmp))) as app:
            await _draw(emu, 1)  # warm-up with the emulator's small default picture
            await wait_idle(app)
            image = await emu.configure(Knobs(image_bytes=size))
            gc.collect()
            before = rss_mb()
            reset_peak()
            delay, method = await _draw(emu, 2)
            await wait_idle(app)
            peak = rss_mb("VmHWM")
            tracemalloc.start()
            await _draw(emu, 3)
            await wait_idle(app)
            traced = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return {"image": image, "before": before, "peak": peak, "delay": delay, "method": method, "traced": traced}


def main() -> None:
    parser = argparse.ArgumentParser(description="measure 4 in a fresh process (prints JSON)")
    parser.add_argument("size", type=int, help="bytes of the PNG")
    import_aiogram_lazily()  # as `python -m bot` does
    print(json.dumps(run(_child(parser.parse_args().size))))


if __name__ == "__main__":
    main()
