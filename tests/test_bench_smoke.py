"""A tiny run of the benchmarks (`python -m bench --quick`), so they cannot rot unnoticed.

It checks that every measure runs and prints its rows; it never looks at the figures, which mean
nothing at this size (and timings are no test material anyway).
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from tests.helpers import run_python

# Rows per measure of issue 8: 1 (two modes × wall, latency; the aiogram baseline), 2 (ratio, ratio to a
# tuned echo, CPU), 3 (two stores × RSS, latency; "not measured" without Redis), 4 (memory, time), 5 (two chat types),
# 6 (a photo turn's memory), 7 (the settings lookup of a later and of a first turn; Redis only in a full run).
ROWS = MappingProxyType({"1": 5, "2": 3, "3": 4, "4": 2, "5": 2, "6": 1, "7": 2})


def test_quick_bench_runs_every_measure(tmp_path: Path) -> None:
    record = tmp_path / "run.md"
    done = run_python("-m", "bench", "--quick", "--record", str(record), timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    numbers = [row.split("|")[1].strip() for row in rows]
    assert {number: numbers.count(number) for number in ROWS} == dict(ROWS)
    assert len(rows) == sum(ROWS.values())
    assert all(line in record.read_text() for line in rows)
