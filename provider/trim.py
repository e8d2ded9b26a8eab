"""Strip a streamed answer at both ends without buffering the whole of it.

The reference joins every chunk and calls ``.strip()``; we stream, so we cannot know which chunk is the
last. ``AnswerTrimmer`` drops leading whitespace until the first real text, passes chunks through
unchanged, and holds back only a chunk that ends in whitespace (plus any whitespace-only chunks after it)
until more text proves it is not the end. The joined output always equals ``"".join(chunks).strip()``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from .errors import ProviderResponseError


class AnswerTrimmer:
    """Feed raw chunks in order; yield what may be shown now; call ``finish`` at the end of the stream."""

    def __init__(self) -> None:
        self.started = False  # whether any non-whitespace text has been seen
        self._held: list[str] = []

    def feed(self, chunk: str) -> list[str]:
        """Return the chunks that can be emitted now, each unchanged except the first (left-stripped)."""
        if not chunk:
            return []
        if not self.started:
            chunk = chunk.lstrip()
            if not chunk:
                return []
            self.started = True
        if not chunk.strip():
            self._held.append(chunk)
            return []
        out, self._held = self._held, []
        if chunk[-1].isspace():
            self._held.append(chunk)
        else:
            out.append(chunk)
        return out

    def finish(self) -> str:
        """The held tail with its trailing whitespace removed ("" when there is nothing left to show)."""
        tail = "".join(self._held).rstrip()
        self._held = []
        return tail


async def trim_answer(
    chunks: AsyncGenerator[str, None], *, provider: str, detail: str | None = None
) -> AsyncGenerator[str, None]:
    """Stream ``chunks`` trimmed; raise "returned an empty answer" if nothing but whitespace came.

    An empty answer is an error, not a reply: the caller (or a failover chain) must not show or store it.
    """
    trimmer = AnswerTrimmer()
    async with aclosing(chunks) as texts:  # closing this generator early closes the request behind it
        async for chunk in texts:
            for piece in trimmer.feed(chunk):
                yield piece
    tail = trimmer.finish()
    if tail:
        yield tail
    if not trimmer.started:
        raise ProviderResponseError(f"{provider} returned an empty answer", provider=provider, detail=detail)
