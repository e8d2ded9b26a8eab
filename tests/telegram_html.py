"""Validators for Telegram's formatted text, so tests catch formatting Telegram would reject:
``parse_mode=HTML`` (:func:`parse_telegram_html`) and ``entities`` (:func:`check_entities`).

Modelled on TDLib's ``parse_html`` (the code the Bot API server runs), with the error texts it
produces. It is deliberately *stricter* than Telegram where Telegram silently accepts something
that is almost certainly a rendering bug:

* a bare ``&`` or an unknown/invalid entity (``&nbsp;``, ``&#0;``, ``&lt`` without ``;``) is an
  error (Telegram shows it literally; the Bot API docs say it must be escaped);
* ``<a>`` without a non-empty ``href`` is an error (Telegram would use the link text as URL);
* ``<pre>`` inside ``<pre>``/``<code>`` is an error (Telegram silently drops the nesting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["ALLOWED_TAGS", "check_entities", "parse_telegram_html", "parse_telegram_html_entities", "telegram_len"]

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler",
}  # fmt: skip
_SPACES = " \t\r\n\v\f"
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z]+));")
_NAME_TOKEN_RE = re.compile(r"[A-Za-z0-9.\-]*")


def telegram_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), so emoji count as 2 like in the limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_telegram_html(html: str) -> str:
    """Return the visible text of ``html``; raise ``ValueError("can't parse entities: ...")`` if rejected."""
    return parse_telegram_html_entities(html)[0]


def parse_telegram_html_entities(html: str) -> tuple[str, list[dict[str, Any]]]:
    """Like :func:`parse_telegram_html` but also return Bot API ``MessageEntity`` dicts (UTF-16 offsets)."""
    return _Parser(html).run()


@dataclass
class _Open:
    tag: str
    arg: str
    offset: int  # UTF-16 offset in the output where the tag's content starts
    pos: int  # index of "<" in the source, for error messages


class _Parser:
    """One-shot scanner; a class only to share the cursor between the small helper methods."""

    def __init__(self, html: str) -> None:
        self.s = html
        self.n = len(html)
        self.i = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []
        self.code_language: dict[tuple[int, int], str] = {}

    def fail(self, message: str) -> ValueError:
        return ValueError(f"can't parse entities: {message}")

    def byte_offset(self, pos: int) -> int:
        return len(self.s[:pos].encode("utf-8", "surrogatepass"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += telegram_len(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        s = self.s
        while self.i < self.n:
            c = s[self.i]
            if c == "&":
                self.emit(self.entity())
            elif c != "<":
                self.emit(c)
                self.i += 1
            elif self.i + 1 < self.n and s[self.i + 1] == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity(self) -> str:
        """Decode the character reference at the cursor (strict: see module docstring)."""
        pos = self.i
        m = _ENTITY_RE.match(self.s, pos)
        if m is None:
            raise self.fail(
                f'Unescaped "&" or unterminated HTML entity at byte offset {self.byte_offset(pos)}; use "&amp;"'
            )
        self.i = m.end()
        dec, hexa, name = m.groups()
        if name is not None:
            if name not in _NAMED:
                raise self.fail(f'Unsupported HTML entity "&{name};" at byte offset {self.byte_offset(pos)}')
            return _NAMED[name]
        code = int(dec) if dec is not None else int(hexa, 16)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.fail(f'Invalid numeric HTML entity "{m.group(0)}" at byte offset {self.byte_offset(pos)}')
        return chr(code)

    def skip_spaces(self) -> None:
        while self.i < self.n and self.s[self.i] in _SPACES:
            self.i += 1

    def scan_name(self, stop: str) -> str:
        start = self.i
        while self.i < self.n and self.s[self.i] not in _SPACES and self.s[self.i] not in stop:
            self.i += 1
        return self.s[start : self.i]

    def start_tag(self) -> None:
        begin = self.i
        where = f"at byte offset {self.byte_offset(begin)}"
        unclosed = self.fail(f"Unclosed start tag {where}")
        self.i += 1
        tag = self.scan_name(">").lower()
        if self.i >= self.n:
            raise unclosed
        if tag not in ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{tag}" {where}')
        arg = ""
        while True:
            self.skip_spaces()
            if self.i >= self.n:
                raise unclosed
            if self.s[self.i] == ">":
                break
            attr = self.scan_name("=>")
            if not attr:
                raise self.fail(f'Empty attribute name in the tag "{tag}" {where}')
            self.skip_spaces()
            if self.i >= self.n:
                raise unclosed
            if self.s[self.i] != "=":
                if tag == "blockquote" and attr == "expandable":
                    arg = "expandable"
                    continue
                raise self.fail(f'Expected equal sign in declaration of an attribute of the tag "{tag}" {where}')
            self.i += 1
            self.skip_spaces()
            if self.i >= self.n:
                raise unclosed
            value = self.attribute_value()
            if self.i >= self.n:
                raise unclosed
            arg = _tag_argument(tag, attr, value, arg)
        self.i += 1  # past ">"
        self.check_start(tag, arg, where)
        self.stack.append(_Open(tag, arg, self.utf16, begin))

    def attribute_value(self) -> str:
        quote = self.s[self.i]
        if quote not in "'\"":
            m = _NAME_TOKEN_RE.match(self.s, self.i)
            assert m is not None  # the pattern matches the empty string
            self.i = m.end()
            if self.i < self.n and self.s[self.i] not in _SPACES and self.s[self.i] != ">":
                raise self.fail(f"Unexpected end of name token at byte offset {self.byte_offset(m.start())}")
            return m.group(0).lower()
        self.i += 1
        parts: list[str] = []
        while self.i < self.n and self.s[self.i] != quote:
            if self.s[self.i] == "&":
                parts.append(self.entity())
            else:
                parts.append(self.s[self.i])
                self.i += 1
        if self.i < self.n:
            self.i += 1  # past the closing quote
        return "".join(parts)

    def check_start(self, tag: str, arg: str, where: str) -> None:
        if tag == "span" and arg != "spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" {where}')
        if tag == "a" and not arg:
            raise self.fail(f'Tag "a" must have a non-empty "href" attribute {where}')
        if tag == "tg-emoji" and not (arg.isdigit() and int(arg) > 0):
            raise self.fail("Invalid custom emoji identifier specified")
        if tag == "pre" and any(o.tag in ("pre", "code") for o in self.stack):
            raise self.fail(f'Tag "pre" can\'t be nested in "pre" or "code" {where}')

    def end_tag(self) -> None:
        begin = self.i
        where = f"at byte offset {self.byte_offset(begin)}"
        self.i += 2
        name = self.scan_name(">").lower()
        self.skip_spaces()
        if self.i >= self.n or self.s[self.i] != ">":
            raise self.fail(f"Unclosed end tag {where}")
        self.i += 1
        if not self.stack:
            raise self.fail(f"Unexpected end tag {where}")
        top = self.stack.pop()
        if name and name != top.tag:
            raise self.fail(f'Unmatched end tag {where}, expected "</{top.tag}>", found "</{name}>"')
        if self.utf16 > top.offset:
            self.add_entity(top, self.utf16 - top.offset)

    def add_entity(self, top: _Open, length: int) -> None:
        entity: dict[str, Any] = {"type": "", "offset": top.offset, "length": length}
        if top.tag in _ENTITY_TYPES:
            entity["type"] = _ENTITY_TYPES[top.tag]
        elif top.tag == "a":
            entity.update(type="text_link", url=top.arg)
        elif top.tag == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=top.arg)
        elif top.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if top.arg else "blockquote"
        elif top.tag == "code":
            entity["type"] = "code"
            if top.arg and self.stack and self.stack[-1].tag == "pre":
                self.code_language[(top.offset, length)] = top.arg
        else:  # pre
            entity["type"] = "pre"
            last = self.entities[-1] if self.entities else None
            if last is not None and last["type"] == "code" and _same_range(last, top.offset, length):
                self.entities.pop()  # <pre><code class="language-x">…</code></pre> is a single entity
                language = self.code_language.get((top.offset, length))
                if language:
                    entity["language"] = language
        self.entities.append(entity)


def _tag_argument(tag: str, attr: str, value: str, current: str) -> str:
    """Pick the one attribute each tag cares about; others are ignored, as Telegram does."""
    if tag == "a" and attr == "href":
        return value
    if tag == "code" and attr == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attr == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attr == "emoji-id":
        return value
    if tag == "blockquote" and attr == "expandable":
        return "expandable"
    return current


def _same_range(entity: dict[str, Any], offset: int, length: int) -> bool:
    return bool(entity["offset"] == offset and entity["length"] == length)


# --- entities ------------------------------------------------------------------------------

ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold", "italic",
        "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote", "code", "pre",
        "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip
_URL_RE = re.compile(r"(?i)(https?|tg|ton)://[^\s]+")
_STRING_FIELDS = {"text_link": "url", "custom_emoji": "custom_emoji_id"}


def check_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    """Validate Bot API ``entities`` for ``text``; return them as Telegram stores them (sorted).

    Raises ``ValueError`` worded as the Bot API words it: "can't parse MessageEntity: ..." for an entity
    object it cannot read, "can't parse entities: ..." for a range. Like Telegram: a JSON array of objects with
    integer ``offset``/``length`` in UTF-16 code units, a known ``type``, a string ``url`` (a URL) for
    ``text_link``, an optional string ``language`` for ``pre``, a ``user`` for ``text_mention``.
    Stricter than Telegram where only a bug produces it (Telegram clips or repairs these silently):
    an entity past the end of the text, one that starts or ends inside a surrogate pair, an empty
    one, and entities that overlap without nesting are errors.
    """

    def fail(message: str) -> ValueError:
        return ValueError(f"can't parse entities: {message}")

    def malformed(message: str) -> ValueError:
        return ValueError(f"can't parse MessageEntity: {message}")

    if not isinstance(entities, list):
        raise malformed("expected an Array")
    boundaries = {0}
    units = 0
    for char in text:
        units += telegram_len(char)
        boundaries.add(units)
    result: list[dict[str, Any]] = []
    for raw in entities:
        if not isinstance(raw, dict):
            raise malformed("expected an Object")
        for field in ("offset", "length"):
            if not isinstance(raw.get(field), int) or isinstance(raw.get(field), bool):
                raise malformed(f'Field "{field}" must be a Number')
        kind = raw.get("type")
        if kind is None:
            raise malformed('Can\'t find field "type"')
        if not isinstance(kind, str):
            raise malformed('Field "type" must be of type String')
        if not kind:
            raise malformed("Type is not specified")
        if kind not in ENTITY_TYPES:
            raise malformed("Unsupported type specified")
        entity = {"type": kind, "offset": raw["offset"], "length": raw["length"]}
        if kind in _STRING_FIELDS:
            field = _STRING_FIELDS[kind]
            if raw.get(field) is None:
                raise malformed(f'Can\'t find field "{field}"')
            if not isinstance(raw[field], str) or not raw[field]:
                raise malformed(f'Field "{field}" must be of type String')
            entity[field] = raw[field]
        if kind == "text_link" and not _URL_RE.fullmatch(raw["url"]):
            raise fail(f'Wrong URL "{raw["url"]}"')
        if kind == "text_mention":
            if not isinstance(raw.get("user"), dict):
                raise malformed('Field "user" must be of type Object')
            entity["user"] = raw["user"]
        if kind == "pre" and raw.get("language") is not None:
            if not isinstance(raw["language"], str):
                raise malformed('Field "language" must be of type String')
            if raw["language"]:
                entity["language"] = raw["language"]
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if start < 0 or entity["length"] <= 0:
            raise fail(f"Entity {entity} is empty or has a negative offset")
        if end > units:
            raise fail(f"Entity beginning at UTF-16 offset {start} ends after the end of the text at UTF-16 "
                       f"offset {end}")
        if start not in boundaries or end not in boundaries:
            raise fail("Entity boundary is in the middle of a UTF-16 symbol")
        result.append(entity)
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    open_ends: list[int] = []
    for entity in result:
        while open_ends and open_ends[-1] <= entity["offset"]:
            open_ends.pop()
        end = entity["offset"] + entity["length"]
        if open_ends and end > open_ends[-1]:
            raise fail(f"Entity {entity} overlaps another without nesting")
        open_ends.append(end)
    return result
