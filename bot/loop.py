"""The event loop the bot runs on: uvloop where it is installed (not on Windows), asyncio's own elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop: about a tenth less CPU per update here (BENCHMARKS.md); not built for Windows."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on the bot's loop; `python -m bot` and the benchmarks both start here."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
