"""Live previews of an answer while the model is still writing it.

Private chats get native drafts (`sendMessageDraft`); groups, where drafts are refused, get one message
that is edited as the text grows. Both are throttled, show plain text, and never send the same text twice.
The final, formatted answer is sent by `AnswerSender` afterwards.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import Message

from .conversation import topic_id
from .rendering.units import cut_utf16

logger = logging.getLogger(__name__)

PREVIEW_LIMIT = 4096
_ELLIPSIS = " …"


class Preview(Protocol):
    async def update(self, text: str) -> None: ...

    async def discard(self) -> None: ...

    def message(self) -> Message | None:
        """The preview message the final answer should replace, if one was sent."""
        ...


class NoPreview:
    """STREAMING=off: nothing is shown until the answer is complete."""

    async def update(self, text: str) -> None:
        return None

    async def discard(self) -> None:
        return None

    def message(self) -> Message | None:
        return None


class _Throttled:
    """Shows the first text at once, then at most one update per `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._next_at = 0.0
        self._shown = ""

    def _due(self, text: str) -> str | None:
        now = time.monotonic()
        if now < self._next_at or not text.strip():
            return None
        shown = preview_text(text)
        if shown == self._shown:
            return None
        self._next_at = now + self._interval
        self._shown = shown
        return shown


class DraftPreview(_Throttled):
    """Native drafts in private chats; a failing draft just stops the preview, never the answer."""

    def __init__(self, source: Message, interval: float) -> None:
        super().__init__(interval)
        self._source = source
        self._enabled = True

    async def update(self, text: str) -> None:
        if not self._enabled or (shown := self._due(text)) is None:
            return
        assert self._source.bot is not None
        try:
            await self._source.bot.send_message_draft(
                chat_id=self._source.chat.id,
                draft_id=self._source.message_id,
                text=shown,
                parse_mode=None,
                message_thread_id=topic_id(self._source),
            )
        except TelegramAPIError as error:
            logger.info("chat=%s: drafts unavailable (%s); waiting for the full answer",
                        self._source.chat.id, error.message)
            self._enabled = False

    async def discard(self) -> None:
        return None  # a draft disappears by itself

    def message(self) -> Message | None:
        return None


class EditPreview(_Throttled):
    """A reply that grows by edits, for groups: their limit is about 20 messages a minute."""

    def __init__(self, source: Message, interval: float) -> None:
        super().__init__(interval)
        self._source = source
        self._message: Message | None = None

    async def update(self, text: str) -> None:
        if (shown := self._due(text)) is None:
            return
        if self._message is None:
            self._message = await self._source.reply(shown, parse_mode=None)
            return
        try:
            edited = await self._message.edit_text(shown, parse_mode=None)
            if isinstance(edited, Message):
                self._message = edited  # holds the text now shown, for the final edit to compare against
        except TelegramBadRequest as error:
            logger.info("chat=%s: preview edit refused (%s)", self._source.chat.id, error.message)

    async def discard(self) -> None:
        """The answer failed: remove the half-written preview so only the error reply remains."""
        if self._message is None:
            return
        try:
            await self._message.delete()
        except TelegramAPIError as error:
            logger.info("chat=%s: could not delete the preview (%s)", self._source.chat.id, error.message)
        self._message = None

    def message(self) -> Message | None:
        return self._message


def preview_text(text: str) -> str:
    """Plain text cut to what one message holds: Markdown may be half-written, so no formatting yet."""
    text = text.strip()
    if len(text) <= PREVIEW_LIMIT // 2:
        return text
    cut = cut_utf16(text, PREVIEW_LIMIT)
    return cut if cut == text else cut_utf16(text, PREVIEW_LIMIT - len(_ELLIPSIS)) + _ELLIPSIS
