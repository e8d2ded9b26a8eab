"""Telegram measures text in UTF-16 code units; cutting by Python characters would overshoot on emoji."""

from __future__ import annotations

from telegramify_markdown import utf16_len


def cut_utf16(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-16 units, never halving a character."""
    if len(text) * 2 <= limit or utf16_len(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text
