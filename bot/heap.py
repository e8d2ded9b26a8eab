"""Keeps the garbage collector off the objects start-up created, for as long as the bot serves."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Generation-1 collections between two full ones while frozen (CPython's default is 10).
FULL_COLLECTION_EVERY = 100


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now (~230,000 after start-up: aiogram's types, pydantic's validators, the
    router tree) out of the collector's generations, and give them back on the way out.

    They live as long as the bot does, yet every full collection walked them again: under a burst of
    1,000 updates the collector took half of the bot's CPU time, and freezing cut the CPU per update by
    a third (BENCHMARKS.md). Frozen objects no longer count as long-lived, though, so CPython's rule of a
    full collection once the new survivors reach a quarter of the long-lived ones held at every 10th
    generation-1 collection, and under a burst each full collection walks the ~500,000 objects of the
    updates in flight: 2 s of a 3 s burst. One every 100 took the CPU per update from 1.9 to 1.2 ms.
    Unfreezing afterwards means nothing is kept for good, even when several bots run in one process
    (the tests); nested use only ends the saving early.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
