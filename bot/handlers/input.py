"""What a request must pass before it costs anything: visible text, and the sender's rate limit."""

from __future__ import annotations

import re

from aiogram.types import Message

from .. import texts
from ..services.limits import RequestLimiter

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zero-width and direction marks: meaningful inside words (Persian ZWNJ, emoji ZWJ), empty on their own.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def clean_prompt(text: str) -> str:
    """The prompt without control characters and surrounding space; "" when nothing visible is left."""
    text = _CONTROL.sub("", text).strip()
    return text if _INVISIBLE.sub("", text).strip() else ""


async def over_limit(message: Message, limiter: RequestLimiter, kind: str) -> bool:
    """Count the request; if the sender is over the limit, say how long to wait (once a minute) and refuse."""
    user_id = message.from_user.id if message.from_user else message.chat.id
    wait = await limiter.wait_time(kind, user_id)
    if wait and limiter.first_notice(kind, user_id):
        await message.reply(texts.rate_limited(wait, limiter.rate(kind)))
    return bool(wait)
