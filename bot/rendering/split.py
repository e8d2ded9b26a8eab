"""Split a rendered answer into messages that each fit Telegram's length limit.

Telegram limits a message to 4096 UTF-16 code units. We cut only between characters (never
inside a surrogate pair, avoiding emoji sequences), and clip every entity to the part it falls
in: an entity that spans a cut is in both parts, so a code block that spans two messages stays a
code block, with its language, in both.

telegramify-markdown's own ``split_entities`` cuts at the last newline that fits; ours prefers
paragraph breaks, then line ends, then spaces, and keeps parts at least half full.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from telegramify_markdown import MessageEntity

from bot.rendering.markdown import Rendered, utf16_offsets

TELEGRAM_LIMIT = 4096
_ZWJ = "\u200d"
_JOINERS = frozenset({_ZWJ, "\ufe0e", "\ufe0f", "\u20e3"})
_MAX_GRAPHEME_BACKOFF = 32


def split_rendered(rendered: Rendered, limit: int = TELEGRAM_LIMIT) -> list[Rendered]:
    """Split into parts of at most ``limit`` UTF-16 units, entities clipped to each part.

    Cuts prefer paragraph breaks, then line ends, then spaces, then anything (avoiding the middle
    of an emoji sequence), and never make a part shorter than half the limit when a later cut is
    possible. No text is added or removed: the parts' texts concatenate to the input's, except
    that a part that would show only whitespace is dropped, since Telegram refuses it; cuts avoid
    that unless the input has a whitespace run of about half the limit. Input with no visible
    text gives no parts. Raises ValueError if ``limit < 2``.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 (one astral character)")
    text = rendered.text
    offsets = utf16_offsets(text)
    if offsets[-1] <= limit:
        return [rendered] if text.strip() else []
    cuts = _cut_points(text, offsets, limit)
    parts: list[Rendered] = []
    for begin, end in pairwise(cuts):
        if text[begin:end].strip():
            parts.append(Rendered(text[begin:end], _clip(rendered.entities, offsets[begin], offsets[end])))
    return parts


def _clip(entities: tuple[MessageEntity, ...], begin: int, end: int) -> tuple[MessageEntity, ...]:
    """The entities overlapping UTF-16 range [begin, end), relative to ``begin``."""
    return tuple(
        entity.copy_with(offset=max(entity.offset, begin) - begin,
                         length=min(entity.offset + entity.length, end) - max(entity.offset, begin))
        for entity in entities
        if entity.offset < end and entity.offset + entity.length > begin
    )


def _cut_points(chars: str, cumulative: list[int], limit: int) -> list[int]:
    """Indices into ``chars`` where parts start, plus the total length at the end."""
    total = len(chars)
    last_solid = max((i for i, char in enumerate(chars) if not char.isspace()), default=0)
    cuts = [0]
    start = 0
    end = 0
    while start < total:
        while end < total and cumulative[end + 1] - cumulative[start] <= limit:
            end += 1
        cut = total if end == total else _choose_cut(chars, cumulative, start, end, last_solid)
        cuts.append(cut)
        start = cut
    return cuts


def _choose_cut(chars: str, cumulative: list[int], start: int, end: int, last_solid: int) -> int:
    """Best place to end the part that starts at ``chars[start]`` and may reach ``end``.

    Both sides of the cut must keep a non-whitespace character where possible,
    since a whitespace-only message is refused and so dropped.
    """
    solid = next((i for i in range(start, end) if not chars[i].isspace()), None)
    highest = min(end, last_solid)
    if solid is None or highest <= solid:
        return end  # one side is whitespace only, whatever we do
    lowest = solid + 1
    half = (cumulative[start] + cumulative[end]) // 2
    while lowest < highest and cumulative[lowest] < half:
        lowest += 1
    preferences = (
        lambda p: chars[p - 1] == "\n" and p - 2 >= start and chars[p - 2] == "\n",
        lambda p: chars[p - 1] == "\n",
        lambda p: chars[p - 1].isspace(),
    )
    for is_good_cut in preferences:
        for position in range(highest, lowest - 1, -1):
            if is_good_cut(position):
                return position
    position = highest
    while position > lowest and highest - position < _MAX_GRAPHEME_BACKOFF and _inside_grapheme(chars, position):
        position -= 1
    return highest if _inside_grapheme(chars, position) else position


def _inside_grapheme(chars: str, position: int) -> bool:
    """Whether a cut before ``chars[position]`` would split what shows as one symbol."""
    before, after = chars[position - 1], chars[position]
    if before == _ZWJ or after in _JOINERS or (before == "\r" and after == "\n"):
        return True
    if "\U0001f3fb" <= after <= "\U0001f3ff" or "\U000e0020" <= after <= "\U000e007f":
        return True  # skin-tone modifiers, emoji tag sequences (subdivision flags)
    if unicodedata.category(after) in ("Mn", "Me", "Mc"):
        return True
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        run = 0
        while position - run - 1 >= 0 and _is_regional_indicator(chars[position - run - 1]):
            run += 1
        return run % 2 == 1  # flags are pairs; an odd run before means mid-flag
    return False


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"
