"""Measure 6: a photo turn with a ~10 MB photo: the bot's peak memory growth while it downloads the photo,
encodes it as a data URI and sends it to the model.

As measure 4: the bot runs in a fresh interpreter (`python -m bench.vision SIZE`), the emulators (Bot API,
OpenAI) in another; a small photo turn first warms up code and buffers; then the kernel's peak-RSS mark is
reset (VmHWM via /proc/self/clear_refs) and the big photo turn runs: growth = peak RSS − RSS just before.
The turn is checked: the model must have received the photo's exact bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.lazy_types import import_aiogram_lazily
from bot.loop import run

from .emulators import ROOT
from .memory import reset_peak, rss_mb
from .stats import ms
from .table import Row

GOAL_FACTOR = 3.0
PHOTO_MB = 9.5  # just under MAX_IMAGE_BYTES (10 MB), the largest photo the bot takes by default


async def measure(workdir: Path, photo_mb: float = PHOTO_MB) -> list[Row]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.vision", str(int(photo_mb * 2**20)), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"bench.vision exited with {process.returncode}")
    r: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    image = r["image"] / 2**20
    growth = r["peak"] - r["before"]
    return [
        Row("6", f"photo turn with a {image:.1f} MB photo: peak RSS growth of the bot",
            f"{growth:.1f} MB = {growth / image:.1f}× the photo ({ms(r['delay'])} to the answer)",
            f"≤ {GOAL_FACTOR:g}× ({GOAL_FACTOR * image:.0f} MB)", growth <= GOAL_FACTOR * image),
    ]


async def _child(size: int) -> dict[str, Any]:
    from .emulators import emulator_process
    from .harness import bot_settings, running_bot, wait_idle  # after main's import_aiogram_lazily

    with tempfile.TemporaryDirectory() as tmp:
        async with emulator_process() as emu:
            env = {"PROVIDERS": "openai", "OPENAI_BASE_URL": emu.oa_url, "STREAMING": "off", "HISTORY_IMAGES": "0"}
            async with running_bot(bot_settings(emu, Path(tmp), env)) as app:
                warm = await emu.photo(1, 64 * 1024)  # warm-up: code, buffers, connections
                await wait_idle(app)
                gc.collect()
                before = rss_mb()
                reset_peak()
                big = await emu.photo(2, size)
                await wait_idle(app)
                peak = rss_mb("VmHWM")
    for turn in (warm, big):
        if turn["wrong"] or not turn["exact"]:
            raise RuntimeError(f"the photo turn went wrong: {turn['wrong'] or 'the model got other bytes'}")
    return {"image": big["image"], "before": before, "peak": peak, "delay": big["delay"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="measure 6 in a fresh process (prints JSON)")
    parser.add_argument("size", type=int, help="bytes of the photo")
    import_aiogram_lazily()  # as `python -m bot` does
    print(json.dumps(run(_child(parser.parse_args().size))))


if __name__ == "__main__":
    main()
