"""Incremental server-sent events parsing, per the WHATWG HTML "event stream" spec.

Providers stream answers as SSE; the network hands us bytes in arbitrary pieces (an event, a line, even a
UTF-8 character may be split across reads). ``SSEParser`` is pure (no I/O) so it is easy to test and to
reuse; ``iter_sse_events``/``iter_sse_data`` adapt it to any async byte stream such as
``response.content.iter_any()``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncGenerator, AsyncIterable
from contextlib import aclosing
from dataclasses import dataclass

_EOL = re.compile(r"\r\n|\r|\n")
DONE_MARKER = "[DONE]"


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event: its ``data`` lines joined with ``"\\n"``, its type and the last event id."""

    data: str
    event: str = "message"
    id: str = ""


class SSEParser:
    """Turns byte chunks into ``SSEEvent`` objects as soon as each event's terminating blank line arrives."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False  # whether the optional leading BOM has been dealt with
        self._skip_lf = False  # the last chunk ended in "\r": a "\n" opening the next one is the same EOL
        self._partial: list[str] = []  # text of the current, not yet terminated, line
        self._data: list[str] = []
        self._event_type = ""
        self.last_event_id = ""
        self.retry: int | None = None  # reconnection time in ms, if the server sent one

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume the next piece of the stream; return the events it completed (often none)."""
        return self._feed_text(self._decoder.decode(chunk))

    def close(self, *, dispatch_incomplete: bool = False) -> list[SSEEvent]:
        """End of stream. The spec discards an event lacking its final blank line; lenient callers
        (servers that just close the connection after the last ``data:`` line) may dispatch it instead.
        """
        events = self._feed_text(self._decoder.decode(b"", final=True))
        if dispatch_incomplete:
            if self._partial:
                event = self._process_line("".join(self._partial))
                if event is not None:
                    events.append(event)
            event = self._dispatch()
            if event is not None:
                events.append(event)
        self._partial.clear()
        self._data.clear()
        self._event_type = ""
        return events

    def _feed_text(self, text: str) -> list[SSEEvent]:
        if not text:
            return []
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        events: list[SSEEvent] = []
        pos = 0
        for match in _EOL.finditer(text):
            self._partial.append(text[pos : match.start()])
            line = "".join(self._partial)
            self._partial.clear()
            pos = match.end()
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        if pos < len(text):
            self._partial.append(text[pos:])
        elif text.endswith("\r"):
            self._skip_lf = True
        return events

    def _process_line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment, e.g. a keep-alive
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event_type = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        # any other field is ignored, as the spec says
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, self._data = self._data, []
        event_type, self._event_type = self._event_type, ""
        if not data:
            return None
        return SSEEvent(data="\n".join(data), event=event_type or "message", id=self.last_event_id)


async def iter_sse_events(
    chunks: AsyncIterable[bytes], *, dispatch_incomplete: bool = False
) -> AsyncGenerator[SSEEvent, None]:
    """Yield events from an async byte stream as they complete."""
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close(dispatch_incomplete=dispatch_incomplete):
        yield event


async def iter_sse_data(
    chunks: AsyncIterable[bytes],
    *,
    done: str | None = DONE_MARKER,
    dispatch_incomplete: bool = False,
) -> AsyncGenerator[str, None]:
    """Yield each event's ``data``; an event whose data is ``done`` ends the stream and is not yielded."""
    async with aclosing(iter_sse_events(chunks, dispatch_incomplete=dispatch_incomplete)) as events:
        async for event in events:
            if done is not None and event.data.strip() == done:
                return
            yield event.data
