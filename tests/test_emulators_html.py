"""parse_telegram_html accepts what Telegram accepts and refuses what it (or our stricter rules) refuse."""

from __future__ import annotations

import pytest

from tests.telegram_html import parse_telegram_html, parse_telegram_html_entities, telegram_len

ACCEPTED = [
    ("plain text", "plain text"),
    ("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>", "bsieun"),
    ("<s>1</s><strike>2</strike><del>3</del>", "123"),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("<code>a &lt; b</code>", "a < b"),
    ("<pre>line1\nline2</pre>", "line1\nline2"),
    ('<pre><code class="language-python">print("hi")</code></pre>', 'print("hi")'),
    ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
    ("<b>bold <i>both</i></b>", "bold both"),
    ("&lt;&gt;&amp;&quot; &#65;&#x42;&#128512;", '<>&" AB😀'),
    ("a > b", "a > b"),  # a raw ">" is fine for Telegram
    ("<B>upper</B>", "upper"),  # tag names are case-insensitive
    ("<b >spaced</b >", "spaced"),
    ("<a href='https://x.y' title=\"ignored\">t</a>", "t"),  # unknown attributes are ignored
    ("<code class=language-js>x</code>", "x"),  # unquoted attribute values are allowed
    ("<b></b>", ""),
    ("Привет, <b>мир</b>", "Привет, мир"),
]

REJECTED = [
    ("a<br>b", 'Unsupported start tag "br"'),
    ("<br/>", 'Unsupported start tag "br/"'),
    ("<p>x</p>", 'Unsupported start tag "p"'),
    ("<h1>x</h1>", 'Unsupported start tag "h1"'),
    ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag"),
    ("1 < 2", 'Unsupported start tag ""'),
    ("ends with <", "Unclosed start tag"),
    ("<b", "Unclosed start tag"),
    ("<b>x</b", "Unclosed end tag"),
    ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ("R&D", 'Unescaped "&"'),
    ("&lt no semicolon", 'Unescaped "&"'),
    ("&#0;", "Invalid numeric HTML entity"),
    ("&#xD800;", "Invalid numeric HTML entity"),
    ("<a>no href</a>", 'Tag "a" must have a non-empty "href"'),
    ('<a href="">empty</a>', 'Tag "a" must have a non-empty "href"'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("<tg-emoji>x</tg-emoji>", "Invalid custom emoji identifier"),
    ("<pre><pre>x</pre></pre>", 'Tag "pre" can\'t be nested'),
    ("<code><pre>x</pre></code>", 'Tag "pre" can\'t be nested'),
    ('<a href="https://x>t</a>', "Unclosed start tag"),
    ("<a href=x/y>t</a>", "Unexpected end of name token"),
    ("<b class>x</b>", "Expected equal sign"),
    ('<a ="x">t</a>', "Empty attribute name"),
]


@pytest.mark.parametrize(("html", "text"), ACCEPTED)
def test_accepted(html: str, text: str) -> None:
    assert parse_telegram_html(html) == text


@pytest.mark.parametrize(("html", "error"), REJECTED)
def test_rejected(html: str, error: str) -> None:
    with pytest.raises(ValueError, match=r"^can't parse entities: ") as info:
        parse_telegram_html(html)
    assert error in str(info.value)


def test_entities_use_utf16_offsets_and_merge_pre_code() -> None:
    text, entities = parse_telegram_html_entities('😀 <b>x</b>\n<pre><code class="language-py">y</code></pre>')
    assert text == "😀 x\ny"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "pre", "offset": 5, "length": 1, "language": "py"},
    ]
    _, quote = parse_telegram_html_entities("<blockquote expandable>q</blockquote>")
    assert quote == [{"type": "expandable_blockquote", "offset": 0, "length": 1}]


def test_error_offsets_are_utf8_bytes() -> None:
    with pytest.raises(ValueError, match="byte offset 4"):
        parse_telegram_html("ыы<br>")


@pytest.mark.parametrize(("text", "length"), [("", 0), ("abc", 3), ("мир", 3), ("😀", 2), ("👍🏽", 4), ("e\u0301", 2)])
def test_telegram_len_counts_utf16_units(text: str, length: int) -> None:
    assert telegram_len(text) == length
