"""Message content as OpenAI has it: a plain string, or a list of parts (text and images).

``[{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,…"}}]``

Providers that can see images (``supports_vision``) send the parts as they are; the others get the text of
each message with ``[image]`` where a picture was, so a history that once held a photo still reads right.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
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


_BIG_URI = 64 * 1024  # data URIs longer than this are spliced into the body, not copied through json.dumps
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f-\uffff]')
_SLICE = 256 * 1024


class SplicedJson:
    """A JSON body written around big data URIs, streamed slice by slice: never whole in memory.

    ``size`` is its exact length in bytes (sent as Content-Length, so no chunked encoding); iterating it
    asynchronously (as aiohttp does with ``data=``) yields the same bytes as ``json.dumps(...).encode()``.
    """

    def __init__(self, texts: list[bytes], uris: list[str]) -> None:
        self._texts, self._uris = texts, uris
        self.size = sum(map(len, texts)) + sum(map(len, uris))

    def chunks(self) -> Iterator[bytes]:
        for number, text in enumerate(self._texts):
            yield text
            if number < len(self._uris):
                uri = self._uris[number]
                for start in range(0, len(uri), _SLICE):
                    yield uri[start : start + _SLICE].encode("ascii")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks():
            yield chunk


def json_body(payload: dict[str, Any]) -> bytes | SplicedJson:
    """``json.dumps(payload).encode()``, or for a payload with big images a ``SplicedJson`` of the same bytes.

    A 10 MB photo is a 13 MB data URI; ``json.dumps`` would copy it into a str, ``encode`` into bytes, and
    the socket's buffer once more. Spliced, each big URI (plain ASCII, nothing to escape) is only read.
    """
    uris: list[str] = []
    nonce = secrets.token_hex(8)

    def swap(part: Any) -> Any:
        url = part.get("image_url", {}).get("url") if is_image_part(part) else None
        if not isinstance(url, str) or len(url) < _BIG_URI or _NEEDS_ESCAPE.search(url):
            return part
        uris.append(url)
        return {**part, "image_url": {**part["image_url"], "url": f"{nonce}:{len(uris) - 1}"}}

    messages = payload.get("messages")
    if not isinstance(messages, list):
        return json.dumps(payload).encode()
    swapped = [
        {**m, "content": [swap(p) for p in m["content"]]} if isinstance(m.get("content"), list) else m
        for m in messages
    ]
    if not uris:
        return json.dumps(payload).encode()
    pieces = re.split(f"{nonce}:(\\d+)", json.dumps({**payload, "messages": swapped}))
    return SplicedJson([piece.encode() for piece in pieces[::2]], [uris[int(index)] for index in pieces[1::2]])
