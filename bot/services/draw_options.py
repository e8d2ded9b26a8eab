"""Options written into a /draw prompt: a size or shape and a count, removed before the prompt is sent.

`/draw a harbour at night --wide x3` draws three wide pictures of "a harbour at night". Recognised words:
`--wide`, `--tall`, `--square`, `WIDTHxHEIGHT` (e.g. `1024x1792`) and `x1`..`x10` (capped by the caller's
maximum). Anything else, `--unknown` included, stays in the prompt. The size asked for here is a wish: the
provider maps it to the nearest size its image model accepts (provider/image_api.py `fit_size`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHAPES = {"--wide": "1792x1024", "--tall": "1024x1792", "--square": "1024x1024"}
_SIZE = re.compile(r"(\d{2,4})[xX×](\d{2,4})")
_COUNT = re.compile(r"[xX×](\d{1,2})")


@dataclass(frozen=True)
class DrawOptions:
    prompt: str  # without the option words
    count: int = 1
    size: str | None = None  # "WIDTHxHEIGHT" or None for the model's default


def parse_draw_options(text: str, max_count: int) -> DrawOptions:
    """Split the option words off `text`; the last of each kind wins. Pure: no I/O, no settings."""
    count, size = 1, None
    kept: list[str] = []
    for token in re.split(r"(\s+)", text):  # separators kept, so line breaks in the prompt survive
        lowered = token.lower()
        if not token or token.isspace():
            kept.append(token)
            continue
        if lowered in SHAPES:
            size = SHAPES[lowered]
        elif (match := _SIZE.fullmatch(token)) is not None and _plausible(match):
            size = f"{int(match[1])}x{int(match[2])}"
        elif (match := _COUNT.fullmatch(token)) is not None and 1 <= int(match[1]) <= 10:
            count = min(int(match[1]), max(1, max_count))
        else:
            kept.append(token)
            continue
        if kept and kept[-1].isspace():  # the option goes with the space before it
            kept.pop()
    prompt = "".join(kept).strip()
    return DrawOptions(prompt, count, size)


def _plausible(match: re.Match[str]) -> bool:
    """A picture size, not a product name like "3x4": each side between 64 and 4096 pixels."""
    return all(64 <= int(side) <= 4096 for side in (match[1], match[2]))

