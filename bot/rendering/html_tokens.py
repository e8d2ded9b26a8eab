"""A tokenizer that reads Telegram HTML the way Telegram's own parser does.

Telegram rejects a whole message ("can't parse entities") for one bad tag, so
the renderer checks its output with this before sending, and the splitter needs
the same view of the text to count visible characters and to cut only between
them. The rules follow tdlib's ``parse_html``: a small set of tags, attributes
quoted or as name tokens, ``&lt; &gt; &amp; &quot;`` and numeric character
references, and every start tag closed by its own end tag. Where Telegram is
lenient about things that only a bug produces (a bare ``&``, ``<a>`` without
``href``, ``<pre>`` inside ``<pre>``) this refuses them, so anything it accepts
Telegram accepts too.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SPACE = " \t\r\n\v"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z]+));")


class Token(NamedTuple):
    """One piece of Telegram HTML.

    ``text`` tokens are one visible character each (a literal character or one
    character reference), so a cut between tokens never splits an entity or a
    surrogate pair. ``open``/``close`` tokens carry the lower-case tag ``name``.
    """

    kind: Literal["text", "open", "close"]
    raw: str
    text: str = ""
    name: str = ""


def _decode_entity(html: str, pos: int) -> tuple[str, int]:
    """Decode the character reference at ``html[pos] == '&'``; return it and the end.

    Telegram shows a bare or unknown ``&...`` literally, but the Bot API asks for
    ``&amp;`` and a literal is almost always a rendering bug, so it is refused.
    """
    match = _ENTITY.match(html, pos)
    if match is None:
        raise ValueError(f'Unescaped "&" or unterminated HTML entity at offset {pos}')
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            raise ValueError(f'Unsupported HTML entity "&{name};" at offset {pos}')
        return _NAMED_ENTITIES[name], match.end()
    digits = decimal or hexadecimal
    code = int(digits, 10 if decimal else 16) if len(digits) <= 8 else 0
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ValueError(f'Invalid numeric HTML entity "{match.group()}" at offset {pos}')
    return chr(code), match.end()


def _skip_space(html: str, i: int) -> int:
    while i < len(html) and html[i] in _SPACE:
        i += 1
    return i


def _read_value(html: str, i: int, begin: int) -> tuple[str, int]:
    """Read an attribute value (quoted string or name token) starting at ``i``."""
    n = len(html)
    if html[i] in "'\"":
        quote = html[i]
        i += 1
        value: list[str] = []
        while i < n and html[i] != quote:
            if html[i] == "&":
                char, i = _decode_entity(html, i)
                value.append(char)
            else:
                value.append(html[i])
                i += 1
        if i >= n:
            raise ValueError(f"Unclosed start tag at offset {begin}")
        return "".join(value), i + 1
    start = i
    while i < n and ((html[i].isascii() and html[i].isalnum()) or html[i] in ".-"):
        i += 1
    if i == start or i >= n or (html[i] not in _SPACE and html[i] != ">"):
        raise ValueError(f"Unexpected end of name token at offset {start}")
    return html[start:i].lower(), i


def _read_start_tag(html: str, begin: int) -> tuple[Token, int]:
    """Parse ``<name attr="v" ...>`` at ``begin``; return its token and end."""
    n = len(html)
    i = begin + 1
    while i < n and html[i] not in _SPACE and html[i] != ">":
        i += 1
    name = html[begin + 1 : i].lower()
    if name not in ALLOWED_TAGS:
        raise ValueError(f'Unsupported start tag "{name}" at offset {begin}')
    attributes: dict[str, str] = {}
    while True:
        i = _skip_space(html, i)
        if i >= n:
            raise ValueError(f"Unclosed start tag at offset {begin}")
        if html[i] == ">":
            break
        attr_begin = i
        while i < n and html[i] not in _SPACE and html[i] not in "=>":
            i += 1
        attr = html[attr_begin:i].lower()
        if not attr:
            raise ValueError(f'Empty attribute name in the tag "{name}" at offset {begin}')
        i = _skip_space(html, i)
        if i >= n:
            raise ValueError(f"Unclosed start tag at offset {begin}")
        if html[i] != "=":
            if name == "blockquote" and attr == "expandable":
                attributes[attr] = ""
                continue
            raise ValueError(f'Expected equal sign in an attribute of the tag "{name}" at offset {begin}')
        i = _skip_space(html, i + 1)
        if i >= n:
            raise ValueError(f"Unclosed start tag at offset {begin}")
        attributes[attr], i = _read_value(html, i, begin)
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise ValueError(f'Tag "span" must have class "tg-spoiler" at offset {begin}')
    if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise ValueError(f"Invalid custom emoji identifier at offset {begin}")
    if name == "a" and not attributes.get("href"):
        raise ValueError(f'Tag "a" must have a non-empty "href" attribute at offset {begin}')
    return Token("open", html[begin : i + 1], name=name), i + 1


def tokenize(html: str) -> list[Token]:
    """Split Telegram HTML into tokens; raise ValueError where Telegram would refuse it."""
    tokens: list[Token] = []
    stack: list[str] = []
    n = len(html)
    i = 0
    while i < n:
        char = html[i]
        if char == "&":
            decoded, end = _decode_entity(html, i)
            tokens.append(Token("text", html[i:end], decoded))
            i = end
            continue
        if char != "<":
            tokens.append(Token("text", char, char))
            i += 1
            continue
        if i + 1 < n and html[i + 1] == "/":
            begin = i
            i += 2
            while i < n and html[i] not in _SPACE and html[i] != ">":
                i += 1
            name = html[begin + 2 : i]
            i = _skip_space(html, i)
            if i >= n or html[i] != ">":
                raise ValueError(f"Unclosed end tag at offset {begin}")
            if not stack:
                raise ValueError(f"Unexpected end tag at offset {begin}")
            expected = stack.pop()
            if name != expected:
                raise ValueError(f'Unmatched end tag at offset {begin}, expected "</{expected}>", found "</{name}>"')
            i += 1
            tokens.append(Token("close", html[begin:i], name=expected))
            continue
        token, i = _read_start_tag(html, i)
        if token.name == "pre" and ("pre" in stack or "code" in stack):
            raise ValueError(f'Tag "pre" can\'t be nested in "pre" or "code" at offset {i}')
        stack.append(token.name)
        tokens.append(token)
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return tokens


def visible_text(html: str) -> str:
    """The text Telegram shows for ``html`` (raises ValueError if it is invalid)."""
    return "".join(token.text for token in tokenize(html))


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
