"""The one path every text answer takes to Telegram: preview while streaming, then render, split, send.

Formatting problems never lose an answer: a part Telegram refuses to parse is resent as plain text.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, Message

from . import texts
from .rendering import markdown_to_html, split_html
from .streaming import DraftPreview, EditPreview, NoPreview, Preview

logger = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class StreamingOptions:
    enabled: bool = True
    draft_interval: float = 0.75  # private chats: one draft update per this many seconds
    edit_interval: float = 3.0  # groups: about 20 messages a minute
    first_preview_after: float = 0.2  # an answer complete by then is sent without a preview
    attach_over: int = 12_000  # answers longer than this also arrive as answer.md


class AnswerSender:
    def __init__(self, options: StreamingOptions | None = None) -> None:
        self.options = options or StreamingOptions()

    async def deliver(self, message: Message, chunks: AsyncIterator[str]) -> str:
        """Show an answer stream to the user as it grows, then the final answer; return the text sent.

        If the stream fails, the preview is removed and the error propagates: the caller reports it.
        """
        preview = self._preview(message)
        parts: list[str] = []
        try:
            async for chunk in chunks:
                parts.append(chunk)
                preview.update("".join(parts))
            await preview.finish()
        except BaseException:
            await preview.discard()
            raise
        text = "".join(parts).strip()
        await self.send(message, text, replace=preview.message())
        return text

    async def send(self, message: Message, text: str, *, replace: Message | None = None) -> None:
        """Send `text` (Markdown) formatted and split; the first part replaces the preview if there is one."""
        parts = split_html(markdown_to_html(text))
        for index, part in enumerate(parts):
            if index == 0 and replace is not None:
                await self._edit(replace, part)
            else:
                await self._send(message, part, as_reply=index == 0)
        if len(text) > self.options.attach_over:
            await message.answer_document(
                BufferedInputFile(text.encode(), filename="answer.md"), caption=texts.answer_file_caption()
            )

    def _preview(self, message: Message) -> Preview:
        if not self.options.enabled:
            return NoPreview()
        if message.chat.type == ChatType.PRIVATE:
            return DraftPreview(message, self.options.draft_interval, self.options.first_preview_after)
        return EditPreview(message, self.options.edit_interval, self.options.first_preview_after)

    async def _send(self, message: Message, part: str, *, as_reply: bool) -> None:
        send = message.reply if as_reply else message.answer
        try:
            await send(part)
        except TelegramBadRequest as error:
            if not _is_parse_error(error):
                raise
            logger.warning("chat=%s: formatting refused (%s); sent as plain text", message.chat.id, error.message)
            await send(plain_text(part), parse_mode=None)

    async def _edit(self, target: Message, part: str) -> None:
        if part == html.escape(target.text or "", quote=False):
            return  # already shows exactly this: an edit would be refused as "not modified"
        try:
            await target.edit_text(part)
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            if not _is_parse_error(error):
                raise
            logger.warning("chat=%s: formatting refused (%s); sent as plain text", target.chat.id, error.message)
            await target.edit_text(plain_text(part), parse_mode=None)


def _is_parse_error(error: TelegramBadRequest) -> bool:
    return "can't parse entities" in error.message


def plain_text(part: str) -> str:
    """The visible text of a part, for resending without entities; lenient, as the HTML was refused."""
    return html.unescape(_TAG.sub("", part))
