"""Keeps the garbage collector off the objects start-up created while the bot serves: an entry-point opt-in."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Generation-1 collections between two full ones while frozen (CPython's default is 10).
FULL_COLLECTION_EVERY = 100


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now (aiogram's types, pydantic's validators, the router tree) out of the
    collector's generations while the block runs, and space full collections out; give both back after.

    Process-wide, so only `python -m bot` (bot/__main__.py) and the bench enter it, never code that
    imports the bot. Why: those objects live as long as the bot does, yet every full collection walked
    them again; and once frozen they no longer count as long-lived, so CPython's rule (a full collection
    once new survivors reach a quarter of the long-lived objects) would fire at nearly every chance and
    walk the objects of the updates in flight instead. The saving is measured in BENCHMARKS.md. Nested
    use only ends the saving early.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
