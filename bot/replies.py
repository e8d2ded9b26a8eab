"""The one path every text answer takes to Telegram: preview while streaming, then render, split, send.

Answers are sent as text plus `entities` (parse_mode unset), so no character of the answer is ever read
as markup. Formatting problems never lose an answer: a part whose entities Telegram refuses is resent
without them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, MessageEntity

from . import texts
from .rendering import Rendered, render_markdown, split_rendered
from .streaming import AnswerText, DraftPreview, EditPreview, NoPreview, Preview

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamingOptions:
    enabled: bool = True
    draft_interval: float = 0.75  # private chats: one draft update per this many seconds
    edit_interval: float = 3.0  # groups: about 20 messages a minute
    first_preview_after: float = 0.2  # an answer complete by then is sent without a preview
    attach_over: int = 12_000  # answers longer than this also arrive as answer.md


# Buttons for the final answer's last part, made from the answer's text (e.g. 🔄 naming the answer it redoes).
Markup = Callable[[str], InlineKeyboardMarkup | None]


@dataclass(frozen=True)
class Delivered:
    text: str  # the answer as sent (and to be stored)
    last: Message | None  # the message holding its last part (and the buttons, if any)


class AnswerSender:
    def __init__(self, options: StreamingOptions | None = None) -> None:
        self.options = options or StreamingOptions()

    async def deliver(
        self, message: Message, chunks: AsyncIterator[str], *, markup: Markup | None = None
    ) -> Delivered:
        """Show an answer stream to the user as it grows, then the final answer with `markup(text)` under its
        last part (never under a preview).

        If the stream fails, the preview is removed and the error propagates: the caller reports it.
        """
        preview = self._preview(message)
        answer = AnswerText()
        try:
            async for chunk in chunks:
                answer.append(chunk)
                preview.update(answer)
            await preview.finish()
        except BaseException:
            await preview.discard()
            raise
        text = str(answer).strip()
        last = await self.send(message, text, replace=preview.message(), markup=markup(text) if markup else None)
        return Delivered(text, last)

    async def send(
        self, message: Message, text: str, *, replace: Message | None = None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Message | None:
        """Send `text` (Markdown) formatted and split; the first part replaces the preview if there is one,
        the last carries `markup`. Returns the message of the last part."""
        parts = split_rendered(render_markdown(text))
        last: Message | None = None
        for index, part in enumerate(parts):
            buttons = markup if index == len(parts) - 1 else None
            if index == 0 and replace is not None:
                last = await self._edit(replace, part, buttons)
            else:
                last = await self._send(message, part, as_reply=index == 0, markup=buttons)
        if len(text) > self.options.attach_over:
            await message.answer_document(
                BufferedInputFile(text.encode(), filename="answer.md"), caption=texts.answer_file_caption()
            )
        return last

    def _preview(self, message: Message) -> Preview:
        if not self.options.enabled:
            return NoPreview()
        if message.chat.type == ChatType.PRIVATE:
            return DraftPreview(message, self.options.draft_interval, self.options.first_preview_after)
        return EditPreview(message, self.options.edit_interval, self.options.first_preview_after)

    async def _send(
        self, message: Message, part: Rendered, *, as_reply: bool, markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        send = message.reply if as_reply else message.answer
        try:
            return await send(part.text, entities=_entities(part), parse_mode=None, reply_markup=markup)
        except TelegramBadRequest as error:
            if not (_is_parse_error(error) and part.entities):
                raise
            logger.warning("chat=%s: formatting refused (%s); sent as plain text", message.chat.id, error.message)
            return await send(part.text, parse_mode=None, reply_markup=markup)

    async def _edit(self, target: Message, part: Rendered, markup: InlineKeyboardMarkup | None = None) -> Message:
        if not part.entities and part.text.strip() == target.text and markup is None:
            return target  # already shows exactly this: an edit would be refused as "not modified"
        try:
            edited = await target.edit_text(part.text, entities=_entities(part), parse_mode=None, reply_markup=markup)
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return target
            if not (_is_parse_error(error) and part.entities):
                raise
            logger.warning("chat=%s: formatting refused (%s); sent as plain text", target.chat.id, error.message)
            edited = await target.edit_text(part.text, parse_mode=None, reply_markup=markup)
        return edited if isinstance(edited, Message) else target


def _entities(part: Rendered) -> list[MessageEntity]:
    """The part's entities for aiogram; always a list, so the final answer is sent with `entities`."""
    return [
        MessageEntity(type=e.type, offset=e.offset, length=e.length, url=e.url, language=e.language)
        for e in part.entities
    ]


def _is_parse_error(error: TelegramBadRequest) -> bool:
    """Telegram refuses a bad range as "can't parse entities: …" and a bad entity as "can't parse MessageEntity: …"."""
    return "can't parse entities" in error.message or "can't parse MessageEntity" in error.message
