"""The one path every text answer takes to Telegram: render Markdown, split, send, fall back to plain."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from html.parser import HTMLParser

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from .rendering.markdown import markdown_to_html
from .rendering.split import split_html

logger = logging.getLogger(__name__)


class AnswerSender:
    """Sends model answers as replies: formatted, in parts of at most 4096 characters, never lost."""

    async def deliver(self, message: Message, chunks: AsyncIterator[str]) -> str:
        """Show an answer stream to the user and return the text that was delivered."""
        text = "".join([chunk async for chunk in chunks]).strip()
        await self.send(message, text)
        return text

    async def send(self, message: Message, text: str) -> list[Message]:
        parts = split_html(markdown_to_html(text))
        sent = []
        for index, part in enumerate(parts):
            sent.append(await self._send_part(message, part, as_reply=index == 0))
        return sent

    async def _send_part(self, message: Message, html: str, *, as_reply: bool) -> Message:
        send = message.reply if as_reply else message.answer
        try:
            return await send(html)
        except TelegramBadRequest as error:
            if "can't parse entities" not in error.message:
                raise
            logger.warning("chat=%s: Telegram rejected the formatting (%s); sent as plain text",
                           message.chat.id, error.message)
            return await send(html_to_text(html), parse_mode=None)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of Telegram HTML, for resending without entities."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)
