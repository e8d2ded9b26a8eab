"""Rendering model Markdown to Telegram text + entities and splitting it into messages.

Every output is checked with ``tests/telegram_html.check_entities``, the emulated Bot API's own
validation of ``entities`` (stricter than Telegram: in bounds, on character boundaries, nested),
because a refused message costs the answer its formatting.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import telegramify_markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegramify_markdown import MessageEntity

from bot.rendering import Rendered, render_markdown, split_rendered
from bot.rendering.markdown import nested_entities
from tests.telegram_html import check_entities, parse_telegram_html_entities, telegram_len

DATA = Path(__file__).parent / "data"
CORPUS = sorted((DATA / "markdown").glob("*.md"))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def dicts(rendered: Rendered) -> list[dict[str, Any]]:
    return [entity.to_dict() for entity in rendered.entities]


def valid(rendered: Rendered) -> list[dict[str, Any]]:
    """The entities as the emulated Bot API accepts them (raises ValueError otherwise)."""
    return check_entities(rendered.text, dicts(rendered))


def source_words(markdown: str) -> set[str]:
    """Words of the source that a reader must still see (URLs, fence languages, entities aside)."""
    text = re.sub(r"\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)", "]", markdown)  # link targets
    text = re.sub(r"(?m)^\[[^\]]+\]:.*$", "", text)  # reference definitions
    text = re.sub(r"\]\[[^\]]*\]", "]", text)  # reference labels
    text = re.sub(r"(?m)^(\s*)(`{3,}|~{3,})\S*", r"\1", text)  # fence info strings
    text = re.sub(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);", " ", text)  # character references
    return {word for word in re.findall(r"[^\W_]+", text) if len(word) > 1}


def check_parts(parts: list[Rendered], limit: int) -> str:
    """Assert every part is valid, visible and short enough; return their joined text."""
    for part in parts:
        valid(part)
        assert 0 < telegram_len(part.text) <= limit
        assert part.text.strip()
    return "".join(part.text for part in parts)


def coverage(text: str, entities: list[dict[str, Any]]) -> list[set[tuple[str, str]]]:
    """For each UTF-16 unit of ``text``, the formatting that covers it."""
    units: list[set[tuple[str, str]]] = [set() for _ in range(telegram_len(text))]
    for entity in entities:
        kind = (entity["type"], entity.get("url") or entity.get("language") or "")
        for unit in range(entity["offset"], entity["offset"] + entity["length"]):
            units[unit].add(kind)
    return units


# --- render_markdown -------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_renders_to_valid_entities_keeping_the_words(path: Path) -> None:
    markdown = read(path)
    rendered = render_markdown(markdown)
    valid(rendered)
    missing = {word for word in source_words(markdown) if word not in rendered.text}
    assert not missing, f"{path.name}: words lost: {sorted(missing)}"
    assert rendered != Rendered(markdown), "fell back to plain text: the converter output was rejected"


def test_corpus_covers_the_awkward_cases() -> None:
    names = {p.stem for p in CORPUS}
    assert {"nested_lists", "table", "code_fence_html_chars", "unclosed_bold", "cyrillic", "emoji"} <= names
    assert {"lone_backtick", "headings", "links_with_parens", "inline_code_star", "html_looking"} <= names
    assert {"long_code_block", "mixed"} <= names


@pytest.mark.parametrize(
    ("markdown", "text", "entities"),
    [
        ("**bold** and *italic*", "bold and italic", [("bold", 0, 4), ("italic", 9, 6)]),
        ("~~gone~~ `a*b`", "gone a*b", [("strikethrough", 0, 4), ("code", 5, 3)]),
        ("```python\nif a < b && c:\n```", "if a < b && c:", [("pre", 0, 14, "python")]),
        ("use a <div> & a < b", "use a <div> & a < b", []),
        ('[w](https://e.org/P_(x)?a=1&b="2")', "w", [("text_link", 0, 1, 'https://e.org/P_(x)?a=1&b="2"')]),
        ("😀 **bold** 🐍 `x`", "😀 bold 🐍 x", [("bold", 3, 4), ("code", 11, 1)]),  # UTF-16 offsets
        ("**never closed", "**never closed", []),
        ("", "", []),
    ],
)
def test_markdown_examples(markdown: str, text: str, entities: list[tuple[Any, ...]]) -> None:
    rendered = render_markdown(markdown)
    assert rendered.text == text
    assert [(e.type, e.offset, e.length, *filter(None, (e.url, e.language))) for e in rendered.entities] == entities
    valid(rendered)


def test_pipe_inside_code_in_a_table_does_not_split_the_cell() -> None:
    text = render_markdown("| op | meaning |\n|---|---|\n| `a | b` | union |\n").text
    assert "a | b" in text
    assert "union" in text


def test_library_failure_falls_back_to_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("converter bug")

    monkeypatch.setattr(telegramify_markdown, "convert", explode)
    assert render_markdown("**x** < y") == Rendered("**x** < y")


def test_bogus_entities_from_the_library_still_give_valid_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    def bogus(text: str, **kwargs: object) -> tuple[str, list[MessageEntity]]:
        return "ab😀cd", [
            MessageEntity("bold", 0, 4),
            MessageEntity("italic", 1, 5),  # crosses bold
            MessageEntity("code", 3, 1),  # starts inside the surrogate pair: not a character boundary
            MessageEntity("text_link", 0, 2, url=""),
            MessageEntity("mystery", 0, 6),
            MessageEntity("underline", 5, 10),  # runs past the end
        ]

    monkeypatch.setattr(telegramify_markdown, "convert", bogus)
    rendered = render_markdown("anything")
    assert rendered.text == "ab😀cd"
    assert valid(rendered) == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 1, "length": 3},
        {"type": "italic", "offset": 4, "length": 2},
        {"type": "underline", "offset": 5, "length": 1},
    ]


def test_crossing_entities_are_cut_at_the_crossing_and_code_holds_nothing() -> None:
    entities = nested_entities("abcdef", [MessageEntity("bold", 0, 4), MessageEntity("italic", 2, 4),
                                          MessageEntity("pre", 0, 6), MessageEntity("code", 1, 1)])
    assert [(e.type, e.offset, e.length) for e in entities] == [("pre", 0, 6)]
    entities = nested_entities("abcdef", [MessageEntity("bold", 0, 4), MessageEntity("italic", 2, 4)])
    assert [(e.type, e.offset, e.length) for e in entities] == [("bold", 0, 4), ("italic", 2, 2), ("italic", 4, 2)]


# --- split_rendered: examples ----------------------------------------------------------------


def split_text(text: str, limit: int) -> list[str]:
    return [part.text for part in split_rendered(Rendered(text), limit)]


def test_short_input_is_one_unchanged_part() -> None:
    rendered = Rendered("hi there & 😀", (MessageEntity("bold", 0, 2),))
    assert split_rendered(rendered) == [rendered]
    assert split_rendered(Rendered("")) == []
    assert split_rendered(Rendered(" \n ", (MessageEntity("bold", 0, 3),))) == []


def test_ten_thousand_character_answer_splits_into_valid_parts() -> None:
    markdown = read(DATA / "long_answer.md")
    assert len(markdown) >= 10_000
    rendered = render_markdown(markdown)
    parts = split_rendered(rendered)
    assert len(parts) >= 3
    assert check_parts(parts, 4096) == rendered.text
    # The long code block was cut: it ends one part and starts the next, with its language in both.
    for before, after in itertools.pairwise(parts):
        last = before.entities[-1] if before.entities else None
        first = after.entities[0] if after.entities else None
        if last and first and last.type == first.type == "pre" and first.offset == 0:
            assert last.offset + last.length >= telegram_len(before.text.rstrip())
            assert last.language == first.language == "python"
            break
    else:
        pytest.fail("no code block spans two parts")


def test_long_code_block_from_the_corpus() -> None:
    rendered = render_markdown(read(DATA / "markdown" / "long_code_block.md"))
    parts = split_rendered(rendered, 1000)
    assert check_parts(parts, 1000) == rendered.text
    assert all([e.type for e in part.entities] == ["pre"] for part in parts[1:-1])
    assert all(part.entities[0].offset == 0 and part.entities[0].length == telegram_len(part.text)
               for part in parts[1:-1])


def test_prefers_paragraphs_then_lines_then_spaces() -> None:
    assert split_text("aaaa bbbb\ncccc\n\ndddd eeee", 20) == ["aaaa bbbb\ncccc\n\n", "dddd eeee"]
    assert split_text("aaaa bbbb\ncccc dddd eeee", 20) == ["aaaa bbbb\n", "cccc dddd eeee"]
    assert split_text("aaaa bbbb cccc dddd eeee", 20) == ["aaaa bbbb cccc dddd ", "eeee"]
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_an_early_paragraph_break_does_not_make_a_tiny_part() -> None:
    assert split_text("ab\n\n" + "word " * 10, 20)[0].startswith("ab\n\nword")


def test_entities_are_clipped_into_every_part_they_span() -> None:
    link = "https://e.org/?q=x"
    rendered = Rendered("bold one two three four end",
                        (MessageEntity("bold", 0, 27), MessageEntity("text_link", 5, 18, url=link)))
    parts = split_rendered(rendered, 12)
    assert [(p.text, dicts(p)) for p in parts[:2]] == [
        ("bold one ", [{"type": "bold", "offset": 0, "length": 9}, {"type": "text_link", "offset": 5, "length": 4,
                                                                        "url": link}]),
        ("two three ", [{"type": "bold", "offset": 0, "length": 10}, {"type": "text_link", "offset": 0,
                                                                         "length": 10, "url": link}]),
    ]
    assert check_parts(parts, 12) == rendered.text


def test_never_cuts_a_surrogate_pair_and_offsets_count_utf16() -> None:
    text = "&" * 7 + "😀" * 7 + "é" * 3
    rendered = Rendered(text, (MessageEntity("italic", 5, 16), MessageEntity("bold", 0, telegram_len(text))))
    for limit in range(2, 12):
        parts = split_rendered(Rendered(text, tuple(nested_entities(text, rendered.entities))), limit)
        assert check_parts(parts, limit) == text


def test_avoids_cutting_inside_emoji_sequences() -> None:
    family = "👨‍👩‍👧‍👦"  # 7 code points, 11 UTF-16 units
    assert split_text("x" * 15 + family + "y" * 8, 20) == ["x" * 15, family + "y" * 8]
    assert split_text("🇺🇦🇩🇪🇫🇷", 6) == ["🇺🇦", "🇩🇪", "🇫🇷"]


def test_whitespace_only_stretch_longer_than_a_part_is_dropped() -> None:
    parts = split_rendered(Rendered("start" + " " * 30 + "end"), 10)
    assert "".join(p.text for p in parts).replace(" ", "") == "startend"
    check_parts(parts, 10)


def test_rejects_tiny_limits() -> None:
    with pytest.raises(ValueError):
        split_rendered(Rendered("abc"), 1)


# --- property tests --------------------------------------------------------------------------
# Documents are generated as Telegram HTML and parsed into text + entities by the HTML validator:
# that gives arbitrary nested formatting (links, code with languages, quotes) over awkward text.

_ATOMS = st.sampled_from(
    [
        *"abcdefghij", "Ж", "ё", "é", "€", " ", " ", " ", "\n", "\n", ">", '"', "'", "😀", "🐍", "\u200d",
        "&amp;", "&lt;", "&gt;", "&quot;", "&#128512;",
    ]
)  # fmt: skip
_TEXT = st.lists(_ATOMS, max_size=40).map("".join)
_INLINE_TAGS = st.sampled_from(
    [
        "<b>", "<i>", "<u>", "<s>", "<tg-spoiler>", "<code>", '<a href="https://example.org/?a=1&amp;b=%22">',
        "<blockquote>", "<blockquote expandable>",
    ]
)  # fmt: skip


def _element(open_tag: str, children: list[str]) -> str:
    name = open_tag[1:].split(" ")[0].rstrip(">")
    return f"{open_tag}{''.join(children)}</{name}>"


_INLINE = st.recursive(
    _TEXT,
    lambda inner: st.builds(_element, _INLINE_TAGS, st.lists(inner, max_size=4)),
    max_leaves=12,
)
_PRE = st.one_of(
    _TEXT.map(lambda text: f"<pre>{text}</pre>"),
    st.builds(
        lambda lang, text: f'<pre><code class="language-{lang}">{text}</code></pre>',
        st.sampled_from(["python", "c++", "js"]),
        _TEXT,
    ),
)
_DOCUMENT = st.builds(
    lambda blocks, repeat: "".join(blocks) * repeat,
    st.lists(st.one_of(_INLINE, _PRE), min_size=1, max_size=6),
    st.one_of(st.just(1), st.integers(1, 120)),
)
_LIMITS = st.one_of(st.integers(20, 80), st.integers(20, 4096))


def _as_rendered(html: str) -> Rendered:
    text, entities = parse_telegram_html_entities(html)
    # The HTML parser keeps code inside code and quotes inside quotes, which Telegram ignores.
    return Rendered(text, tuple(nested_entities(text, [MessageEntity(**e) for e in entities])))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=_DOCUMENT, limit=_LIMITS)
def test_split_property(html: str, limit: int) -> None:
    """Every part ≤ limit UTF-16 units with valid, nested, in-bounds entities; the parts' texts
    concatenate to the whole; every unit keeps exactly the formatting it had."""
    rendered = _as_rendered(html)
    text = rendered.text
    parts = split_rendered(rendered, limit)
    joined = check_parts(parts, limit)
    if telegram_len(text) <= limit:
        assert parts == ([rendered] if text.strip() else [])
    longest_blank = max((telegram_len(m.group()) for m in re.finditer(r"\s+", text)), default=0)
    if 2 * longest_blank + 1 < limit and text.strip():
        assert joined == text
    else:  # only whitespace-only parts may have been dropped
        assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text)
    whole = coverage(text, dicts(rendered))
    cursor = 0
    for part in parts:
        start = text.index(part.text, cursor)
        assert coverage(part.text, dicts(part)) == whole[telegram_len(text[:start]):][: telegram_len(part.text)]
        cursor = start + len(part.text)


_MARKDOWN = st.lists(
    st.sampled_from(
        [
            *"ab Ж😀", "\n", "\n\n", "*", "**", "_", "__", "~~", "`", "```", "```py\n", "||", "#", "# ", "> ",
            "- ", "1. ", "| ", " |", "|---|", "[", "]", "(", ")", "](https://e.org/a_(b))", "<", ">", "<div>",
            "</span>", "&", "&amp;", "&nbsp;", "\\", "$", "\\(", "!", "    ", "\t", "\r\n",
        ]
    ),
    max_size=60,
).map("".join)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(markdown=_MARKDOWN)
def test_markdown_property_always_valid(markdown: str) -> None:
    rendered = render_markdown(markdown)
    valid(rendered)
    check_parts(split_rendered(rendered, 50), 50)
