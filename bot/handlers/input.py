"""What counts as text in a prompt: control characters are dropped, and invisible ones alone are no question."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zero-width and direction marks: meaningful inside words (Persian ZWNJ, emoji ZWJ), empty on their own.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def clean_prompt(text: str) -> str:
    """The prompt without control characters and surrounding space; "" when nothing visible is left."""
    text = _CONTROL.sub("", text).strip()
    return text if _INVISIBLE.sub("", text).strip() else ""
