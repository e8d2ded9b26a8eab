"""`python -m bench`: run every measure of issue 8 and print one table of figures against their goals.

Nothing is asserted: a goal that is missed shows as MISSES. A measure that fails to run shows as FAILED
and makes the exit status 1. The table is also written, with the machine it ran on, to --record.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from bot.lazy_types import import_aiogram_lazily
from bot.loop import run as run_on_bot_loop

from .emulators import ROOT
from .machine import describe, load
from .table import Row, failed, render

MEASURES = ("concurrency", "throughput", "history", "draw", "first_visible", "vision", "settings")
QUICK = MappingProxyType({"asks": 5, "latency": 0.1, "updates": 5, "rounds": 1, "conversations": 50, "turns": 20,
                          "image_mb": 0.25, "samples": 2, "photo_mb": 0.25})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few updates per measure")
    parser.add_argument("--only", default=",".join(MEASURES), help=f"comma-separated subset of {MEASURES}")
    parser.add_argument("--asks", type=int, default=1000, help="1: /ask sent at once")
    parser.add_argument("--latency", type=float, default=1.0, help="1: seconds before the provider's first chunk")
    parser.add_argument("--updates", type=int, default=1000, help="2: updates per throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="1, 2: runs of each kind (the median counts)")
    parser.add_argument("--conversations", type=int, default=10_000, help="3: conversations in the store")
    parser.add_argument("--turns", type=int, default=20, help="3: turns per conversation (the history limit)")
    parser.add_argument("--image-mb", type=float, default=8.0, help="4: size of the PNG /draw gets")
    parser.add_argument("--samples", type=int, default=20, help="5: /ask per chat type")
    parser.add_argument("--photo-mb", type=float, default=9.5, help="6: size of the photo asked about")
    parser.add_argument("--record", type=Path, help="where to write the table (default bench/runs/<time>.md)")
    parser.add_argument("--default-collector", action="store_true",
                        help="1, 2: run our bot without the collector tuning bot/__main__.py opts into (bot/heap.py)")
    parser.add_argument("--profile", type=Path,
                        help="profile this process (the bot's side) with pyinstrument: HTML, or text for *.txt")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    unknown = set(args.only.split(",")) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s) {', '.join(sorted(unknown))}; choose from {', '.join(MEASURES)}")
    return args


def plan(args: argparse.Namespace, workdir: Path) -> dict[str, tuple[str, Callable[[], Awaitable[list[Row]]]]]:
    """Each measure: its number in the issue and how to run it with the sizes asked for."""
    from . import (  # after main's import_aiogram_lazily
        concurrency,
        draw,
        first_visible,
        history,
        settings_lookup,
        throughput,
        vision,
    )

    return {
        "concurrency": ("1", lambda: concurrency.measure(
            workdir, args.asks, args.latency, args.rounds, not args.default_collector)),
        "throughput": ("2", lambda: throughput.measure(workdir, args.updates, args.rounds, not args.default_collector)),
        "history": ("3", lambda: history.measure(workdir, args.conversations, args.turns, not args.quick)),
        "draw": ("4", lambda: draw.measure(workdir, args.image_mb)),
        "first_visible": ("5", lambda: first_visible.measure(workdir, args.samples)),
        "vision": ("6", lambda: vision.measure(workdir, args.photo_mb)),
        "settings": ("7", lambda: settings_lookup.measure(workdir, args.conversations, not args.quick)),
    }


async def run(args: argparse.Namespace, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    steps = plan(args, workdir)
    for name in (n for n in MEASURES if n in args.only.split(",")):
        number, step = steps[name]
        started = time.monotonic()
        try:
            rows += await step()
        except Exception as error:  # one broken measure must not hide the others' figures
            logging.getLogger("bench").exception("%s failed", name)
            rows.append(failed(number, name, error))
        logging.getLogger("bench").info("%s took %.1f s", name, time.monotonic() - started)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import_aiogram_lazily()  # as `python -m bot` does (bot/__main__.py), before any measure imports aiogram
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bench").setLevel(logging.INFO)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler  # a dev tool: only needed for --profile

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    header = f"{'Quick smoke run' if args.quick else 'Run'}: {describe()}"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        rows = run_on_bot_loop(run(args, Path(tmp)))
    if profiler is not None:
        profiler.stop()
        text = args.profile.suffix == ".txt"
        args.profile.write_text(profiler.output_text(color=False) if text else profiler.output_html())
    header += f", {load()} at the end"
    table = render(rows)
    print(header, table, sep="\n\n")
    record = args.record or ROOT / "bench" / "runs" / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.md"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{header}\n\n{table}\n")
    print(f"\nrecorded in {record}")
    return 1 if any(row.figure.startswith("FAILED") for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
