"""The machine and software a run was made on, for the record next to its figures."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import aiogram

from .emulators import ROOT


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "?"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def describe() -> str:
    memory = _first("/proc/meminfo", "MemTotal")
    gigabytes = f"{int(memory.split()[0]) / 2**20:.1f} GB" if memory != "?" else "?"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · {gigabytes} RAM · "
        f"{_first('/proc/cpuinfo', 'model name')} · Python {platform.python_version()} · "
        f"aiogram {aiogram.__version__} · {platform.system()} {platform.release()} · commit {_commit()} · "
        f"load average {load()} at the start"
    )


def load() -> str:
    """The 1-minute load average: anything else running on the machine shows up in the figures."""
    return f"{os.getloadavg()[0]:.2f}"
