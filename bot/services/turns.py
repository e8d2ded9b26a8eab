"""Turns → provider messages: the conversation's last HISTORY_IMAGES images go along as OpenAI content parts
(downloaded again by file id), the question's own always (an album may bring more); every other image is
"[image]"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from provider.content import IMAGE_PLACEHOLDER, image_part, text_part

from .. import texts
from ..storage import Turn
from .media import MediaRefused

# A file id → its data URI, or None when it cannot be downloaded any more.
FetchImage = Callable[[str], Awaitable[str | None]]


async def provider_messages(
    history: Sequence[Turn], question: Turn, fetch: FetchImage | None, *, history_images: int
) -> list[dict[str, Any]]:
    """`history` and `question` as messages; the question's own images must download, or MediaRefused."""
    chosen: set[tuple[int, int]] = set()
    if fetch is not None:
        remaining = history_images - len(question.images)  # the question's own count first
        for index in range(len(history) - 1, -1, -1):
            for position in range(len(history[index].images) - 1, -1, -1):
                if remaining <= 0:
                    break
                chosen.add((index, position))
                remaining -= 1
    messages = [await _message(turn, fetch, {p for i, p in chosen if i == index}) for index, turn in enumerate(history)]
    if question.images:
        if fetch is None:
            raise MediaRefused(texts.no_vision(), "no provider can see images")
        asked = await _message(question, fetch, set(range(len(question.images))))
        content = asked["content"]
        seen = [part for part in content if part.get("type") == "image_url"] if isinstance(content, list) else []
        if len(seen) < len(question.images):
            raise MediaRefused(texts.download_failed(), "an image of the question could not be downloaded")
        messages.append(asked)
    else:
        messages.append(question.as_message())
    return messages


async def _message(turn: Turn, fetch: FetchImage | None, send: set[int]) -> dict[str, Any]:
    if not turn.images:
        return turn.as_message()
    parts: list[dict[str, Any]] = [text_part(turn.content)] if turn.content else []
    for position, file_id in enumerate(turn.images):
        uri = await fetch(file_id) if fetch is not None and position in send else None
        parts.append(image_part(uri) if uri is not None else text_part(IMAGE_PLACEHOLDER))
    if all(part["type"] == "text" for part in parts):  # nothing to see: plain text keeps blind providers simple
        return {"role": turn.role, "content": "\n".join(part["text"] for part in parts)}
    return {"role": turn.role, "content": parts}
