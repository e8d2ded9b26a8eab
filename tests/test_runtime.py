"""What the bot does to the interpreter it runs in: the collector's settings, the event loop, what it loads."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from pathlib import Path

import pytest

from bot.heap import FULL_COLLECTION_EVERY, frozen_heap
from bot.loop import loop_factory, run

ROOT = Path(__file__).resolve().parent.parent


def test_frozen_heap_spaces_out_full_collections_and_gives_everything_back() -> None:
    before = gc.get_threshold()
    marker = object()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (before[0], before[1], max(before[2], FULL_COLLECTION_EVERY))
        assert gc.get_threshold()[2] > 10  # CPython's default, which a frozen heap turns into a full collection
        assert marker is not None
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_bot_runs_on_uvloop_when_it_is_installed() -> None:
    pytest.importorskip("uvloop")  # a dependency everywhere but Windows (pyproject.toml)

    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert loop_factory() is not None
    assert run(loop_module()).startswith("uvloop")


NO_REDIS_FOR_SQLITE = """
import asyncio, sys
from pathlib import Path
from bot.app import create_app
from bot.config import Settings, StorageConfig

async def main() -> None:
    settings = Settings(bot_token="123456:abc", telegram_api_url="http://127.0.0.1:9",
                        storage=StorageConfig("sqlite", Path(sys.argv[1])))
    async with create_app(settings):
        print(sorted(name for name in sys.modules if name.split(".")[0] == "redis"))

asyncio.run(main())
"""


def test_a_bot_on_sqlite_never_loads_redis(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", NO_REDIS_FOR_SQLITE, str(tmp_path / "bot.sqlite3")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
