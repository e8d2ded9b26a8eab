"""Measure 5: time from the provider's first chunk to the first thing the user sees (goal: 300 ms or less).

One /ask at a time (the bot otherwise idle): in a private chat the first thing is a draft
(sendMessageDraft), in a group the first message of the growing reply. The bot holds the first preview
back for `StreamingOptions.first_preview_after` (0.2 s), so that an answer complete by then is sent once
without a flickering preview; this answer streams for 0.7 s, so it gets one. The emulated provider writes its
first SSE event as soon as the request arrives, so the request's arrival time stands for the first chunk
(it slightly overstates the delay, never understates it).
"""

from __future__ import annotations

from pathlib import Path

from .emulators import Knobs, Send, emulator_process
from .harness import bot_settings, running_bot, wait_idle
from .stats import summary
from .table import Row

GOAL_MS = 300
ANSWER = "a fairly ordinary answer that streams in several pieces, " * 2


async def measure(workdir: Path, rounds: int = 20) -> list[Row]:
    rows = []
    knobs = Knobs(chunk_size=8, chunk_delay=0.05, answer=ANSWER)
    async with emulator_process(knobs) as emu, running_bot(bot_settings(emu, workdir / "first-visible")) as app:
        for kind, method, first_chat in (
            ("private chat: first draft", "sendMessageDraft", 30_000_000),
            ("group: first message", "sendMessage", -1_030_000_000),
        ):
            delays = []
            for chat in range(first_chat, first_chat + rounds):
                chat_type = "private" if chat > 0 else "supergroup"
                arrivals = await emu.burst([Send(f"/ask q{chat}", chat, chat_type)], (method,), timeout=30)
                await wait_idle(app)
                if arrivals.wrong or chat not in arrivals.provider_at:
                    raise RuntimeError(f"{kind}: {arrivals.wrong or 'the provider got no request'}")
                delays.append(arrivals.first[chat] - arrivals.provider_at[chat])
            rows.append(Row(
                "5", f"provider's first chunk → {kind}", summary(delays),
                f"≤ {GOAL_MS} ms", max(delays) * 1000 <= GOAL_MS,
            ))
    return rows
