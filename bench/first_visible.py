"""Time from the provider's first chunk to the first thing the user sees (goal: 300 ms or less).

The emulated provider writes its first SSE event as soon as the request arrives, so the request's
arrival time stands for the first chunk (it slightly overstates the delay, never understates it).
"""

from __future__ import annotations

from pathlib import Path

from .harness import rig, running_bot, summary, wait_idle

GOAL_MS = 300


async def measure(workdir: Path, rounds: int = 20) -> list[tuple[str, str, str]]:
    rows = []
    async with rig(workdir) as r:
        r.ai.chunk_size, r.ai.chunk_delay = 8, 0.05
        r.ai.responder = lambda prompt: "a fairly ordinary answer that streams in several pieces " * 3
        async with running_bot(r.settings) as app:
            for kind, method, extra in (
                ("private chat: first draft", "sendMessageDraft", {}),
                ("group: first message", "sendMessage", {"chat_type": "supergroup"}),
            ):
                delays = []
                for n in range(rounds):
                    chat_id = (1000 + n) if not extra else -(1_000_000 + n)
                    requests_before = len(r.ai.requests)
                    r.tg.push_message(f"/ask question {n}", chat_id=chat_id, **extra)
                    [first, *_] = await r.tg.wait_for(method, lambda c, cid=chat_id: c.params["chat_id"] == cid)
                    await wait_idle(app)
                    delays.append(first.at - r.ai.requests[requests_before].at)
                verdict = "meets" if max(delays) * 1000 <= GOAL_MS else "MISSES"
                rows.append((kind, summary(delays), f"{verdict} the {GOAL_MS} ms goal"))
    return rows
