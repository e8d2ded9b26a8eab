"""Message content as OpenAI has it: a plain string, or a list of parts (text and images).

``[{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,…"}}]``

Providers that can see images (``supports_vision``) send the parts as they are; the others get the text of
each message with ``[image]`` where a picture was, so a history that once held a photo still reads right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .types import Messages

IMAGE_PLACEHOLDER = "[image]"


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_part(url: str) -> dict[str, Any]:
    """An image part; ``url`` is usually a ``data:image/jpeg;base64,…`` URI."""
    return {"type": "image_url", "image_url": {"url": url}}


def is_image_part(part: object) -> bool:
    return isinstance(part, dict) and part.get("type") in ("image_url", "input_image", "image")


def content_text(content: object) -> str:
    """The text of a message's content: a string as it is; parts joined by blank lines, images as ``[image]``."""
    if isinstance(content, str):
        return content
    if not isinstance(content, Sequence):
        return ""
    texts: list[str] = []
    for part in content:
        if is_image_part(part):
            texts.append(IMAGE_PLACEHOLDER)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
    return "\n\n".join(text for text in texts if text)


def has_images(messages: Messages) -> bool:
    """Whether any message carries an image part."""
    return any(
        not isinstance(message.get("content"), str) and any(is_image_part(p) for p in message.get("content") or ())
        for message in messages
    )


def without_images(messages: Messages) -> Messages:
    """``messages`` with every content flattened to text (``[image]`` for each picture): for blind providers."""
    if not has_images(messages):
        return messages
    return [
        message if isinstance(message.get("content"), str) else {**message, "content": content_text(message["content"])}
        for message in messages
    ]
