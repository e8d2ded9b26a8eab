"""Resident memory of this process from /proc (Linux): current (VmRSS) and peak (VmHWM) in MB."""

from __future__ import annotations

from pathlib import Path


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Make VmHWM start again from the current RSS, so a later peak is this step's alone (Linux ≥ 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")
