"""What the bot changes in the interpreter while it serves: the collector's settings and the event loop."""

from __future__ import annotations

import asyncio
import gc

import pytest

from bot.heap import FULL_COLLECTION_EVERY, frozen_heap
from bot.loop import loop_factory, run


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
