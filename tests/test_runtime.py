"""What the bot does to the interpreter it runs in: the collector's settings, the event loop, what it loads."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

import pytest

from bot.heap import FULL_COLLECTION_EVERY, frozen_heap
from bot.loop import loop_factory, run
from tests.helpers import python_env, run_python


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
    done = run_python("-c", NO_REDIS_FOR_SQLITE, str(tmp_path / "bot.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# What importing the bot (as code that embeds it does) may not change: pydantic, aiogram's types, the collector.
IMPORT_ONLY = """
import asyncio, gc
from pydantic import BaseModel
before = (dict(vars(BaseModel)), gc.get_threshold(), gc.get_freeze_count(), type(asyncio.get_event_loop_policy()))
import bot, bot.app, bot.__main__
from aiogram.types import Message
after = (dict(vars(BaseModel)), gc.get_threshold(), gc.get_freeze_count(), type(asyncio.get_event_loop_policy()))
print(before == after, Message.__pydantic_complete__)
"""


def test_importing_the_bot_changes_nothing_process_wide() -> None:
    done = run_python("-c", IMPORT_ONLY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


# `python -m bot`'s main(), with the app and polling replaced: what it opts into, and that it gives it back.
ENTRY_POINT = """
import gc, json, sys
from contextlib import asynccontextmanager
from types import SimpleNamespace
from pydantic import BaseModel
pydantic_before = dict(vars(BaseModel))
thresholds = gc.get_threshold()
import bot.__main__ as entry

seen = {}
real_run = entry.run


def run(main):
    import bot.app
    from aiogram.types import Message

    seen["aiogram deferred"] = not Message.__pydantic_complete__
    seen["pydantic as before"] = dict(vars(BaseModel)) == pydantic_before

    @asynccontextmanager
    async def create_app(settings):
        yield SimpleNamespace(settings=settings)

    async def run_polling(app):
        seen["frozen while serving"] = gc.get_freeze_count() > 0
        seen["full collections spaced"] = gc.get_threshold()[2] > thresholds[2]

    bot.app.create_app, bot.app.run_polling = create_app, run_polling
    return real_run(main)


entry.run = run
entry.main()
seen["given back"] = gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
print(json.dumps(seen))
"""


def test_the_entry_point_opts_into_the_process_wide_tunings(tmp_path: Path) -> None:
    env = python_env(BOT_TOKEN="123456:abc", LOG_LEVEL="ERROR")
    done = run_python("-c", ENTRY_POINT, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"aiogram deferred": True, "pydantic as before": True,
                                       "frozen while serving": True, "full collections spaced": True,
                                       "given back": True}
