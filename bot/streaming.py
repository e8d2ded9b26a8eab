"""Live previews of an answer while the model is still writing it.

Private chats get native drafts (`sendMessageDraft`); groups, where drafts are refused, get one message
that is edited as the text grows. Both wait a moment before the first preview, are throttled, show plain
text, and never send the same text twice. A preview refused by flood control (429) is skipped, never
retried: the next one, or the final answer, carries the text.
The final, formatted answer is sent by `AnswerSender` afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter
from aiogram.types import Message

from .conversation import topic_id
from .rendering.units import cut_utf16
from .telegram import skip_flood_waits

logger = logging.getLogger(__name__)

PREVIEW_LIMIT = 4096
_ELLIPSIS = " …"


class AnswerText:
    """The answer as it streams: a chunk is appended in O(1) and the text joined only when read.

    Joining every chunk again at each chunk would make a long answer of small chunks quadratic; a
    preview reads the text at most once per throttle interval. `joined_chars` counts the characters
    copied by joins: the work done, which tests check stays linear.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.joined_chars = 0

    def append(self, chunk: str) -> None:
        self._parts.append(chunk)

    def __str__(self) -> str:
        if len(self._parts) > 1:
            joined = "".join(self._parts)
            self.joined_chars += len(joined)
            self._parts = [joined]
        return self._parts[0] if self._parts else ""


class Preview(Protocol):
    def update(self, answer: AnswerText) -> None:
        """The answer grew; it is read and shown when the throttle allows."""
        ...

    async def finish(self) -> None:
        """The answer is complete: show nothing more (a preview being sent is waited for)."""
        ...

    async def discard(self) -> None: ...

    def message(self) -> Message | None:
        """The preview message the final answer should replace, if one was sent."""
        ...


class NoPreview:
    """STREAMING=off: nothing is shown until the answer is complete."""

    def update(self, answer: AnswerText) -> None:
        return None

    async def finish(self) -> None:
        return None

    async def discard(self) -> None:
        return None

    def message(self) -> Message | None:
        return None


class _Throttled:
    """Shows the latest text `hold` seconds after the first, then at most once per `interval` seconds.

    An answer complete within `hold` gets no preview at all: it would only flicker before the final
    message, and in a group cost an edit of its 20 a minute. The latest text is shown even when the model
    pauses, and previews are sent from a task of their own, so a slow Bot API never holds up the stream.
    """

    def __init__(self, source: Message, interval: float, hold: float) -> None:
        self._source = source
        self._interval = interval
        self._hold = hold
        self._answer = AnswerText()
        self._shown = ""
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending = False
        self._done = False

    def update(self, answer: AnswerText) -> None:
        self._answer = answer
        self._changed.set()
        if self._task is None and not self._done:
            self._task = asyncio.create_task(self._run())

    async def finish(self) -> None:
        """Stop previewing; a preview on its way is let through, so the final answer can replace it."""
        self._done = True
        if self._task is None:
            return
        if not self._sending:
            self._task.cancel()
        await asyncio.wait([self._task])  # not cancelled with us: a send in flight must land or fail

    async def _run(self) -> None:
        skip_flood_waits()  # in this task only: a 429 skips the preview instead of holding the answer up
        await asyncio.sleep(self._hold)
        while not self._done:
            shown = preview_text(str(self._answer))
            if not shown or shown == self._shown:
                self._changed.clear()
                await self._changed.wait()
                continue
            self._sending = True
            pause = self._interval
            try:
                await self._show(shown)
                self._shown = shown
            except TelegramRetryAfter as error:  # skipped; no request before Telegram allows one again
                logger.info("chat=%s: preview skipped (flood control, %s s)", self._source.chat.id, error.retry_after)
                pause = max(pause, error.retry_after)
            except TelegramAPIError as error:
                logger.info("chat=%s: preview stopped (%s)", self._source.chat.id, error.message)
                return
            except Exception:  # a preview is a courtesy: it must never cost the answer
                logger.exception("chat=%s: preview failed", self._source.chat.id)
                return
            finally:
                self._sending = False
            if not self._done:
                await asyncio.sleep(pause)

    async def _show(self, text: str) -> None:
        raise NotImplementedError


class DraftPreview(_Throttled):
    """Native drafts in private chats; a failing draft just stops the preview, never the answer."""

    async def _show(self, text: str) -> None:
        assert self._source.bot is not None
        await self._source.bot.send_message_draft(
            chat_id=self._source.chat.id,
            draft_id=self._source.message_id,
            text=text,
            parse_mode=None,
            message_thread_id=topic_id(self._source),
        )

    async def discard(self) -> None:
        await self.finish()  # a draft disappears by itself

    def message(self) -> Message | None:
        return None


class EditPreview(_Throttled):
    """A reply that grows by edits, for groups: their limit is about 20 messages a minute."""

    def __init__(self, source: Message, interval: float, hold: float) -> None:
        super().__init__(source, interval, hold)
        self._message: Message | None = None

    async def _show(self, text: str) -> None:
        if self._message is None:
            self._message = await self._source.reply(text, parse_mode=None)
            return
        try:
            edited = await self._message.edit_text(text, parse_mode=None)
            if isinstance(edited, Message):
                self._message = edited  # holds the text now shown, for the final edit to compare against
        except TelegramBadRequest as error:
            logger.info("chat=%s: preview edit refused (%s)", self._source.chat.id, error.message)

    async def discard(self) -> None:
        """The answer failed: remove the half-written preview so only the error reply remains."""
        await self.finish()
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
