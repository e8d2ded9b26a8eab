"""Summaries of timings; free of bot imports, so the fresh processes that use it start light."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {ms(statistics.median(values))}, p99 {ms(percentile(values, 99))}, max {ms(max(values))}"
