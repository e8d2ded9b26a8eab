"""Split Telegram HTML into messages that each fit Telegram's length limit.

Telegram limits a message to 4096 UTF-16 code units of *visible* text (after
entity parsing), and each message must be valid HTML on its own. So we count
visible characters, cut only between them (never inside a tag, a character
reference or a surrogate pair), close the tags still open at a cut and reopen
them, with the same attributes, at the start of the next part: a code block
that spans two messages stays a code block in both.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from bot.rendering.html_tokens import Token, tokenize, utf16_len

TELEGRAM_LIMIT = 4096
_ZWJ = "\u200d"
_JOINERS = frozenset({_ZWJ, "\ufe0e", "\ufe0f", "\u20e3"})
_MAX_GRAPHEME_BACKOFF = 32


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split ``html`` into valid Telegram HTML parts of at most ``limit`` visible units.

    Cuts prefer paragraph breaks, then line ends, then spaces, then anything
    (avoiding the middle of an emoji sequence), and never make a part shorter
    than half the limit when a later cut is possible. No text is added or
    removed: the parts' visible texts concatenate to the input's, except that
    a part that would show only whitespace is dropped, since Telegram refuses
    it; cuts avoid that unless the input has a whitespace run of about half
    the limit. Input with no visible text gives no parts. Raises ValueError if
    ``html`` is not valid Telegram HTML (see ``html_tokens``) or ``limit < 2``.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 (one astral character)")
    tokens = tokenize(html)
    unit_tokens = [i for i, token in enumerate(tokens) if token.kind == "text"]
    chars = [tokens[i].text for i in unit_tokens]
    widths = [utf16_len(char) for char in chars]
    if sum(widths) <= limit:
        return [html] if "".join(chars).strip() else []
    cuts = _cut_points(chars, widths, limit)
    boundaries = [0, *(_token_boundary(tokens, unit_tokens[cut - 1]) for cut in cuts[1:-1]), len(tokens)]
    return _render_parts(tokens, boundaries)


def _cut_points(chars: list[str], widths: list[int], limit: int) -> list[int]:
    """Indices into ``chars`` where parts start, plus the total length at the end."""
    cumulative = [0]
    for width in widths:
        cumulative.append(cumulative[-1] + width)
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


def _choose_cut(chars: list[str], cumulative: list[int], start: int, end: int, last_solid: int) -> int:
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


def _inside_grapheme(chars: list[str], position: int) -> bool:
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


def _token_boundary(tokens: list[Token], last_text_token: int) -> int:
    """Token index where the next part starts after a cut following ``last_text_token``.

    End tags right after the last character stay in the earlier part, so a
    cut at ``</b>\\n\\n<b>`` does not leave an empty ``<b></b>`` behind.
    """
    boundary = last_text_token + 1
    while boundary < len(tokens) and tokens[boundary].kind == "close":
        boundary += 1
    return boundary


def _render_parts(tokens: list[Token], boundaries: list[int]) -> list[str]:
    """Serialise token ranges, reopening and closing the tags open at each cut."""
    parts: list[str] = []
    stack: list[Token] = []
    for begin, finish in pairwise(boundaries):
        pieces = [token.raw for token in stack]
        visible: list[str] = []
        for token in tokens[begin:finish]:
            pieces.append(token.raw)
            if token.kind == "open":
                stack.append(token)
            elif token.kind == "close":
                stack.pop()
            else:
                visible.append(token.text)
        pieces.extend(f"</{token.name}>" for token in reversed(stack))
        if "".join(visible).strip():
            parts.append("".join(pieces))
    return parts
