"""The model's Markdown as Telegram text plus entities (sent with ``parse_mode=None``).

Parsing is left to telegramify-markdown, which runs a CommonMark parser (pulldown-cmark via
pyromark) and yields plain text plus ``MessageEntity`` objects with UTF-16 offsets: exactly what
the Bot API takes as ``entities``. Nothing is escaped, so no character of the answer can make
Telegram refuse the message the way one bad tag refuses a whole ``parse_mode=HTML`` text.

Two pre-passes keep the model's words on screen where CommonMark would drop them: raw HTML
(``<div>``, ``x<y>z``) is escaped so it is shown as text instead of being discarded, and ``|``
inside backticks in a table row is escaped so it no longer splits the cell.

The entities are then checked as Telegram would: inside the text and on character boundaries,
of a known type, code never inside code, and nested (entities that cross are cut at the
crossing). On any failure the answer is sent as its source text without formatting rather than
lost.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyromark
import telegramify_markdown
from telegramify_markdown import MessageEntity, RenderConfig

log = logging.getLogger(__name__)

# The same extensions telegramify-markdown enables, so both passes agree on
# what is code, a table or HTML.
_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_MATH
)
_MAX_ESCAPE_ROUNDS = 8
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_BARE_PIPE = re.compile(r"(?<!\\)\|")

_CODE = frozenset({"code", "pre"})
_QUOTES = frozenset({"blockquote", "expandable_blockquote"})
FORMATTING_TYPES = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler", "text_link", *_CODE, *_QUOTES})


@dataclass(frozen=True)
class Rendered:
    """A message as the Bot API takes it: text, and entities with UTF-16 offsets into it."""

    text: str
    entities: tuple[MessageEntity, ...] = ()


def render_markdown(text: str) -> Rendered:
    """Render Markdown to text and entities that Telegram accepts; never raises."""
    try:
        source = _escape_table_code_pipes(_escape_raw_html(text))
        plain, entities = telegramify_markdown.convert(source, config=_render_config())
        plain = plain.rstrip()  # Telegram trims it anyway; entities past the end are clipped below
        if not plain and text.strip():
            raise ValueError("the converter dropped every character")
        return Rendered(plain, tuple(nested_entities(plain, entities)))
    except Exception:
        log.warning("Markdown rendering failed; sending plain text", exc_info=True)
        return Rendered(text)


def _render_config() -> RenderConfig:
    """A per-call config: the library's global one is shared mutable state."""
    config = RenderConfig.isolated()
    symbols = config.markdown_symbol
    # Headings are already bold (and underlined for levels 1-2); no emoji prefix.
    symbols.heading_level_1 = symbols.heading_level_2 = ""
    symbols.heading_level_3 = symbols.heading_level_4 = ""
    return config


def _insert_backslashes(text: str, offsets: Iterable[int]) -> str:
    """Insert a backslash before each UTF-8 byte offset (pyromark ranges are bytes)."""
    data = text.encode()
    pieces: list[bytes] = []
    last = 0
    for offset in sorted(set(offsets)):
        pieces += [data[last:offset], b"\\"]
        last = offset
    pieces.append(data[last:])
    return b"".join(pieces).decode()


def _escape_raw_html(text: str) -> str:
    """Backslash-escape every ``<`` that CommonMark would read as raw HTML.

    Telegram cannot show raw HTML and the converter drops it, so without this
    "use a <div> here" would lose its word. Escaping turns a block into a
    paragraph that may contain more inline HTML, hence the rounds.
    """
    for _ in range(_MAX_ESCAPE_ROUNDS):
        data = text.encode()
        offsets: list[int] = []
        for payload, span in pyromark.events_with_range(text, options=_OPTIONS):
            if isinstance(payload, dict) and ("Html" in payload or "InlineHtml" in payload):
                raw = data[span["start"] : span["end"]]
                offsets += [span["start"] + i for i, byte in enumerate(raw) if byte == ord("<")]
        if not offsets:
            break
        text = _insert_backslashes(text, offsets)
    return text


def _escape_table_code_pipes(text: str) -> str:
    """Escape ``|`` inside backticks in table rows, as GFM requires and models forget."""
    if "|" not in text or "`" not in text:
        return text
    data = text.encode()
    offsets: list[int] = []
    for payload, span in pyromark.events_with_range(text, options=_OPTIONS):
        if payload not in ({"Start": "TableHead"}, {"Start": "TableRow"}):
            continue
        row = data[span["start"] : span["end"]].decode()
        for code in _CODE_SPAN.finditer(row):
            for pipe in _BARE_PIPE.finditer(code.group(2)):
                prefix = row[: code.start(2) + pipe.start()]
                offsets.append(span["start"] + len(prefix.encode()))
    return _insert_backslashes(text, offsets) if offsets else text


def utf16_offsets(text: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of ``text[i]``; the last item is the total."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def nested_entities(text: str, entities: Sequence[MessageEntity]) -> list[MessageEntity]:
    """The entities Telegram takes as meant, sorted by offset and properly nested.

    Dropped: unknown types, links without a URL, empty ones, ends off a character boundary
    (mid surrogate pair), anything inside code and a quote inside a quote (Telegram refuses or
    ignores those). Clipped to the text. An entity that crosses another is cut at the crossing
    and continues after it, as an HTML serialiser would close and reopen its tag.
    """
    offsets = utf16_offsets(text)
    boundaries = set(offsets)
    queue = [
        (entity.offset, -min(entity.offset + entity.length, offsets[-1]), order, entity)
        for order, entity in enumerate(entities)
        if entity.type in FORMATTING_TYPES and (entity.type != "text_link" or entity.url)
    ]
    queue = [item for item in queue if item[0] in boundaries and -item[1] in boundaries and -item[1] > item[0]]
    heapq.heapify(queue)
    kept: list[MessageEntity] = []
    open_spans: list[tuple[int, str]] = []  # (end, type) of the kept entities enclosing the position
    while queue:
        start, negative_end, order, entity = heapq.heappop(queue)
        end = -negative_end
        while open_spans and open_spans[-1][0] <= start:
            open_spans.pop()
        if open_spans and open_spans[-1][0] < end:  # crosses the innermost open entity
            heapq.heappush(queue, (open_spans[-1][0], negative_end, order, entity))
            end = open_spans[-1][0]
        enclosing = {kind for _, kind in open_spans}
        if enclosing & _CODE or (entity.type in _QUOTES and enclosing & _QUOTES):
            continue
        kept.append(entity.copy_with(offset=start, length=end - start))
        open_spans.append((end, entity.type))
    return kept
