"""Rendering model Markdown to Telegram HTML and splitting it into messages.

Every output is checked with ``tests/telegram_html.py``, a stand-in for Telegram's
own parser, because a single rejected tag loses the whole message in production.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import telegramify_markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegramify_markdown import MessageEntity

from bot.rendering.markdown import entities_to_html, markdown_to_html, plain_to_html
from bot.rendering.split import split_html

try:
    from tests.telegram_html import parse_telegram_html, telegram_len
except ModuleNotFoundError:  # tests/ is not a package and the project root is not on sys.path
    from telegram_html import parse_telegram_html, telegram_len

DATA = Path(__file__).parent / "data"
CORPUS = sorted((DATA / "markdown").glob("*.md"))
PY_BLOCK = '<pre><code class="language-python">'


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def source_words(markdown: str) -> set[str]:
    """Words of the source that a reader must still see (URLs, fence languages, entities aside)."""
    text = re.sub(r"\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)", "]", markdown)  # link targets
    text = re.sub(r"(?m)^\[[^\]]+\]:.*$", "", text)  # reference definitions
    text = re.sub(r"\]\[[^\]]*\]", "]", text)  # reference labels
    text = re.sub(r"(?m)^(\s*)(`{3,}|~{3,})\S*", r"\1", text)  # fence info strings
    text = re.sub(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);", " ", text)  # character references
    return {word for word in re.findall(r"[^\W_]+", text) if len(word) > 1}


def check_parts(parts: list[str], limit: int) -> str:
    """Assert every part is valid and short enough; return their joined visible text."""
    texts = [parse_telegram_html(part) for part in parts]
    for text in texts:
        assert 0 < telegram_len(text) <= limit
        assert text.strip()
    return "".join(texts)


# --- markdown_to_html ------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_renders_to_valid_html_keeping_the_words(path: Path) -> None:
    markdown = read(path)
    html = markdown_to_html(markdown)
    visible = parse_telegram_html(html)
    missing = {word for word in source_words(markdown) if word not in visible}
    assert not missing, f"{path.name}: words lost: {sorted(missing)}"
    assert html != plain_to_html(markdown), "fell back to plain text: the converter output was rejected"


def test_corpus_covers_the_awkward_cases() -> None:
    names = {p.stem for p in CORPUS}
    assert {"nested_lists", "table", "code_fence_html_chars", "unclosed_bold", "cyrillic", "emoji"} <= names
    assert {"lone_backtick", "headings", "links_with_parens", "inline_code_star", "html_looking"} <= names
    assert {"long_code_block", "mixed"} <= names


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and *italic*", "<b>bold</b> and <i>italic</i>"),
        ("~~gone~~ `a*b`", "<s>gone</s> <code>a*b</code>"),
        ("```python\nif a < b && c:\n```", f"{PY_BLOCK}if a &lt; b &amp;&amp; c:</code></pre>"),
        ("use a <div> & a < b", "use a &lt;div&gt; &amp; a &lt; b"),
        ('[w](https://e.org/P_(x)?a=1&b="2")', '<a href="https://e.org/P_(x)?a=1&amp;b=&quot;2&quot;">w</a>'),
        ("**never closed", "**never closed"),
        ("", ""),
    ],
)
def test_markdown_examples(markdown: str, expected: str) -> None:
    assert markdown_to_html(markdown) == expected


def test_pipe_inside_code_in_a_table_does_not_split_the_cell() -> None:
    visible = parse_telegram_html(markdown_to_html("| op | meaning |\n|---|---|\n| `a | b` | union |\n"))
    assert "a | b" in visible
    assert "union" in visible


def test_plain_to_html_escapes_only_what_telegram_needs() -> None:
    assert plain_to_html('a < b && "c" > d') == 'a &lt; b &amp;&amp; "c" &gt; d'
    assert parse_telegram_html(plain_to_html("<b>&amp;</b>")) == "<b>&amp;</b>"


def test_library_failure_falls_back_to_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("converter bug")

    monkeypatch.setattr(telegramify_markdown, "convert", explode)
    assert markdown_to_html("**x** < y") == "**x** &lt; y"


def test_bogus_entities_from_the_library_still_give_valid_html(monkeypatch: pytest.MonkeyPatch) -> None:
    def bogus(text: str, **kwargs: object) -> tuple[str, list[MessageEntity]]:
        return "ab😀cd", [
            MessageEntity("bold", 0, 4),
            MessageEntity("italic", 1, 5),  # overlaps bold without nesting
            MessageEntity("code", 3, 1),  # starts inside the surrogate pair: not a character boundary
            MessageEntity("text_link", 0, 2, url=""),
            MessageEntity("mystery", 0, 6),
            MessageEntity("underline", 5, 10),  # runs past the end
        ]

    monkeypatch.setattr(telegramify_markdown, "convert", bogus)
    assert parse_telegram_html(markdown_to_html("anything")) == "ab😀cd"


def test_overlapping_entities_are_closed_and_reopened() -> None:
    html = entities_to_html("abcdef", [MessageEntity("bold", 0, 4), MessageEntity("italic", 2, 4)])
    assert html == "<b>ab<i>cd</i></b><i>ef</i>"


# --- split_html: examples --------------------------------------------------------------------


def test_short_input_is_one_unchanged_part() -> None:
    html = '<b>hi</b> <a href="https://e.org/?a=1&amp;b=2">there</a> &amp; 😀'
    assert split_html(html) == [html]
    assert split_html("") == []
    assert split_html("<b> \n </b>") == []


def test_ten_thousand_character_answer_splits_into_valid_parts() -> None:
    markdown = read(DATA / "long_answer.md")
    assert len(markdown) >= 10_000
    html = markdown_to_html(markdown)
    parts = split_html(html)
    assert len(parts) >= 3
    assert check_parts(parts, 4096) == parse_telegram_html(html)
    # The long code block was cut: closed at the end of one part and reopened in the next.
    assert sum(part.count(PY_BLOCK) for part in parts) > html.count(PY_BLOCK)
    for before, after in itertools.pairwise(parts):
        if after.startswith(PY_BLOCK) and before.rstrip().endswith("</code></pre>"):
            break
    else:
        pytest.fail("no code block spans two parts")


def test_long_code_block_from_the_corpus() -> None:
    html = markdown_to_html(read(DATA / "markdown" / "long_code_block.md"))
    parts = split_html(html, 1000)
    assert check_parts(parts, 1000) == parse_telegram_html(html)
    assert all(part.count("<pre>") == part.count("</pre>") == 1 for part in parts[1:-1])


def test_prefers_paragraphs_then_lines_then_spaces() -> None:
    assert split_html("aaaa bbbb\ncccc\n\ndddd eeee", 20) == ["aaaa bbbb\ncccc\n\n", "dddd eeee"]
    assert split_html("aaaa bbbb\ncccc dddd eeee", 20) == ["aaaa bbbb\n", "cccc dddd eeee"]
    assert split_html("aaaa bbbb cccc dddd eeee", 20) == ["aaaa bbbb cccc dddd ", "eeee"]
    assert split_html("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_an_early_paragraph_break_does_not_make_a_tiny_part() -> None:
    parts = split_html("ab\n\n" + "word " * 10, 20)
    assert parse_telegram_html(parts[0]).startswith("ab\n\nword")


def test_tags_are_closed_and_reopened_with_their_attributes() -> None:
    html = '<b>bold <a href="https://e.org/?q=&quot;x&quot;">one two three four</a> end</b>'
    parts = split_html(html, 12)
    assert parts[0] == '<b>bold <a href="https://e.org/?q=&quot;x&quot;">one </a></b>'
    assert all(p.startswith('<b><a href="https://e.org/?q=&quot;x&quot;">') for p in parts[1:-1])
    assert check_parts(parts, 12) == parse_telegram_html(html)


def test_never_cuts_an_entity_or_a_surrogate_pair() -> None:
    html = "&amp;" * 7 + "😀" * 7 + "&#128512;" * 3
    for limit in range(2, 12):
        parts = split_html(html, limit)
        assert check_parts(parts, limit) == parse_telegram_html(html)


def test_avoids_cutting_inside_emoji_sequences() -> None:
    family = "👨‍👩‍👧‍👦"  # 7 code points, 11 UTF-16 units
    parts = split_html("x" * 15 + family + "y" * 8, 20)
    assert [parse_telegram_html(p) for p in parts] == ["x" * 15, family + "y" * 8]
    flags = "🇺🇦🇩🇪🇫🇷"
    parts = split_html(flags, 6)
    assert [parse_telegram_html(p) for p in parts] == ["🇺🇦", "🇩🇪", "🇫🇷"]


def test_whitespace_only_stretch_longer_than_a_part_is_dropped() -> None:
    parts = split_html("start" + " " * 30 + "end", 10)
    assert "".join(parse_telegram_html(p) for p in parts).replace(" ", "") == "startend"
    check_parts(parts, 10)


def test_rejects_invalid_html_and_tiny_limits() -> None:
    with pytest.raises(ValueError):
        split_html("<b>unclosed", 10)
    with pytest.raises(ValueError):
        split_html("a < b", 10)
    with pytest.raises(ValueError):
        split_html("abc", 1)


# --- property tests --------------------------------------------------------------------------

_ATOMS = st.sampled_from(
    [
        *"abcdefghij", "Ж", "ё", "é", "€", " ", " ", " ", "\n", "\n", ">", '"', "'", "😀", "🐍", "\u200d",
        "&amp;", "&#38;", "&#x26;", "&lt;", "&#60;", "&gt;", "&quot;", "&#128512;", "&#233;",
    ]
)  # fmt: skip
_TEXT = st.lists(_ATOMS, max_size=40).map("".join)
_INLINE_TAGS = st.sampled_from(
    [
        "<b>", "<strong>", "<i>", "<em>", "<u>", "<ins>", "<s>", "<strike>", "<del>", "<tg-spoiler>",
        '<span class="tg-spoiler">', "<code>", '<a href="https://example.org/?a=1&amp;b=%22">',
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=_DOCUMENT, limit=_LIMITS)
def test_split_property(html: str, limit: int) -> None:
    visible = parse_telegram_html(html)
    parts = split_html(html, limit)
    joined = check_parts(parts, limit)
    if telegram_len(visible) <= limit:
        assert parts == ([html] if visible.strip() else [])
    longest_blank = max((telegram_len(m.group()) for m in re.finditer(r"\s+", visible)), default=0)
    if 2 * longest_blank + 1 < limit and visible.strip():
        assert joined == visible
    else:  # only whitespace-only parts may have been dropped
        assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", visible)


_MARKDOWN = st.lists(
    st.sampled_from(
        [
            *"ab Ж😀",
            "\n",
            "\n\n",
            "*",
            "**",
            "_",
            "__",
            "~~",
            "`",
            "```",
            "```py\n",
            "||",
            "#",
            "# ",
            "> ",
            "- ",
            "1. ",
            "| ",
            " |",
            "|---|",
            "[",
            "]",
            "(",
            ")",
            "](https://e.org/a_(b))",
            "<",
            ">",
            "<div>",
            "</span>",
            "&",
            "&amp;",
            "&nbsp;",
            "\\",
            "$",
            "\\(",
            "!",
            "    ",
            "\t",
            "\r\n",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(markdown=_MARKDOWN)
def test_markdown_property_always_valid(markdown: str) -> None:
    html = markdown_to_html(markdown)
    parse_telegram_html(html)
    check_parts(split_html(html, 50), 50)
