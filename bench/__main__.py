"""`python -m bench`: run every benchmark and print a table of figures."""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import tempfile
from datetime import date
from pathlib import Path

from . import first_visible


async def run_all(workdir: Path, rounds: int) -> list[tuple[str, str, str]]:
    return await first_visible.measure(workdir, rounds=rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="samples per measurement")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(run_all(Path(tmp), args.rounds))
    print(f"# {date.today()} · Python {platform.python_version()} · {platform.machine()}")
    width = max(len(row[0]) for row in rows)
    for name, figures, verdict in rows:
        print(f"{name:<{width}}  {figures}  ({verdict})")


if __name__ == "__main__":
    main()
