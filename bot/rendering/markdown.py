"""The model's Markdown to Telegram HTML (``parse_mode=HTML``).

Parsing is left to telegramify-markdown, which runs a CommonMark parser
(pulldown-cmark via pyromark) and yields plain text plus Telegram entities. We
turn those entities into HTML ourselves, so the tags are balanced by
construction; regex-based converters emit overlapping or broken tags for
unclosed ``**``, links with quotes in the URL or literal ``</span>``, and
Telegram then refuses the whole message.

Two pre-passes keep the model's words on screen where CommonMark would drop
them: raw HTML (``<div>``, ``x<y>z``) is escaped so it is shown as text
instead of being discarded, and ``|`` inside backticks in a table row is
escaped so it no longer splits the cell.

Whatever happens, the result is checked with Telegram's parsing rules; on any
failure the answer is sent as escaped plain text rather than lost.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from types import MappingProxyType

import pyromark
import telegramify_markdown
from telegramify_markdown import MessageEntity, RenderConfig

from bot.rendering.html_tokens import visible_text

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

_SIMPLE_TAGS = MappingProxyType(
    {
        "bold": "b",
        "italic": "i",
        "underline": "u",
        "strikethrough": "s",
        "spoiler": "tg-spoiler",
        "code": "code",
        "blockquote": "blockquote",
        "expandable_blockquote": "blockquote",
    }
)
_RENDERED_TYPES = frozenset({*_SIMPLE_TAGS, "pre", "text_link"})
_QUOTES = frozenset({"blockquote", "expandable_blockquote"})


def plain_to_html(text: str) -> str:
    """Escape text for parse_mode=HTML: Telegram needs only ``& < >`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_to_html(text: str) -> str:
    """Render Markdown to Telegram HTML that Telegram's parser accepts; never raises."""
    try:
        source = _escape_table_code_pipes(_escape_raw_html(text))
        plain, entities = telegramify_markdown.convert(source, config=_render_config())
        plain, entities = _strip_trailing_space(plain, entities)
        result = entities_to_html(plain, entities)
        if visible_text(result) != plain:
            raise ValueError("rendered HTML does not show the converted text")
        if not plain and text.strip():
            raise ValueError("the converter dropped every character")
    except Exception:
        log.warning("Markdown rendering failed; sending plain text", exc_info=True)
        return plain_to_html(text)
    return result


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


def _strip_trailing_space(plain: str, entities: Sequence[MessageEntity]) -> tuple[str, list[MessageEntity]]:
    """Drop trailing whitespace (Telegram trims it anyway) and clip entities to match."""
    stripped = plain.rstrip()
    end = _utf16_offsets(stripped)[-1]
    clipped = [
        entity.copy_with(length=min(entity.offset + entity.length, end) - entity.offset)
        for entity in entities
        if entity.offset < end
    ]
    return stripped, clipped


def _utf16_offsets(text: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of ``text[i]``; the last item is the total."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def _tags(entity: MessageEntity) -> tuple[str, str]:
    """Opening and closing HTML for one entity."""
    if entity.type == "pre":
        if entity.language:
            language = html.escape(entity.language)
            return f'<pre><code class="language-{language}">', "</code></pre>"
        return "<pre>", "</pre>"
    if entity.type == "text_link":
        return f'<a href="{html.escape(entity.url or "")}">', "</a>"
    if entity.type == "expandable_blockquote":
        return "<blockquote expandable>", "</blockquote>"
    name = _SIMPLE_TAGS[entity.type]
    return f"<{name}>", f"</{name}>"


def _usable(entities: Iterable[MessageEntity], index: dict[int, int]) -> list[tuple[int, int, MessageEntity]]:
    """Entities as (start, end) string indices, minus those Telegram would not show.

    Unknown types (custom emoji need a paid username for bots), empty spans,
    links without a URL, quotes inside quotes and anything inside code are left out.
    """
    spans = sorted(
        (
            (index[e.offset], index[e.offset + e.length], e)
            for e in entities
            if e.type in _RENDERED_TYPES
            and e.length > 0
            and e.offset in index
            and e.offset + e.length in index
            and (e.type != "text_link" or e.url)
        ),
        key=lambda span: (span[0], -span[1]),
    )
    kept: list[tuple[int, int, MessageEntity]] = []
    code_end = quote_end = 0  # furthest end of a kept code / quote span; all kept ones start earlier
    for start, end, entity in spans:
        if end <= code_end or (entity.type in _QUOTES and end <= quote_end):
            continue
        if entity.type in ("code", "pre") and start < code_end:
            continue  # Telegram refuses <pre> inside <code>, and code in code means nothing
        if entity.type in ("code", "pre"):
            code_end = max(code_end, end)
        elif entity.type in _QUOTES:
            quote_end = max(quote_end, end)
        kept.append((start, end, entity))
    return kept


def entities_to_html(text: str, entities: Iterable[MessageEntity]) -> str:
    """Serialise text + entities as balanced Telegram HTML.

    Entities that overlap without nesting are closed and reopened at the
    crossing, so the tags always nest properly.
    """
    offsets = _utf16_offsets(text)
    index = {utf16: i for i, utf16 in enumerate(offsets)}
    spans = _usable(entities, index)
    starts: dict[int, list[tuple[int, int, MessageEntity]]] = {}
    for span in spans:
        starts.setdefault(span[0], []).append(span)
    out: list[str] = []
    stack: list[tuple[int, int, MessageEntity]] = []
    for position in range(len(text) + 1):
        while any(span[1] == position for span in stack):
            reopen: list[tuple[int, int, MessageEntity]] = []
            while stack[-1][1] != position:
                reopen.append(stack.pop())
                out.append(_tags(reopen[-1][2])[1])
            out.append(_tags(stack.pop()[2])[1])
            for span in reversed(reopen):
                out.append(_tags(span[2])[0])
                stack.append(span)
        for span in starts.get(position, ()):
            out.append(_tags(span[2])[0])
            stack.append(span)
        if position < len(text):
            out.append(plain_to_html(text[position]))
    return "".join(out)
