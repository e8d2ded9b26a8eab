"""What a prompt is made of: visible text only, and a quoted message kept within the prompt limit."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zero-width and direction marks: meaningful inside words (Persian ZWNJ, emoji ZWJ), empty on their own.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Less room than this after the question is not worth quoting: a stub of the message says nothing.
MIN_QUOTE_CHARS = 40
ELLIPSIS = "…"


def clean_prompt(text: str) -> str:
    """The prompt without control characters and surrounding space; "" when nothing visible is left."""
    text = _CONTROL.sub("", text).strip()
    return text if _INVISIBLE.sub("", text).strip() else ""


def with_quote(question: str, quoted: str, limit: int) -> str:
    """The question with the message it refers to: the quoted text as a Markdown block quote, a blank line,
    then the question ("> the long message…\\n\\nsummarise this"). Without a question, the quoted message is
    the question itself. `question` must fit `limit`; the quote is cut (marked with "…") to what is left."""
    if not quoted:
        return question
    if not question:
        return quoted if len(quoted) <= limit else quoted[: limit - 1].rstrip() + ELLIPSIS
    room = limit - len(question) - 2
    if room < MIN_QUOTE_CHARS:
        return question
    block = "\n".join("> " + line if line else ">" for line in quoted.splitlines())
    if len(block) > room:
        block = block[: room - 1].rstrip() + ELLIPSIS
    return f"{block}\n\n{question}"
