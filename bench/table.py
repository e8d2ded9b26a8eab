"""The result table: one row per figure, with its goal and whether the figure meets it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """`ok` is None for a figure without a goal (reported for context only)."""

    measure: str  # "1".."5": the numbering, so rows can be matched to the spec
    name: str
    figure: str
    goal: str = "—"
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "meets", False: "MISSES", None: ""}[self.ok]


def failed(measure: str, name: str, error: BaseException) -> Row:
    return Row(measure, name, f"FAILED: {type(error).__name__}: {error}"[:300], ok=False)


def render(rows: Sequence[Row]) -> str:
    """A Markdown table: readable in a terminal and pasteable into BENCHMARKS.md as it is."""
    cells = [("#", "measure", "figure", "goal", "verdict")]
    cells += [(r.measure, r.name, r.figure, r.goal, r.verdict) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
