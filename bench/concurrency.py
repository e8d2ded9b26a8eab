"""Measure 1: a burst of /ask from as many chats while the model takes 1 s: no chat may wait for another.

With a provider latency of L seconds, a bot that serves chats independently answers the whole burst in
L plus its own work; the goal allows 0.5 s of work for 1,000 answers. Run with drafts (STREAMING=on, the
default: one sendMessageDraft per answer here, as the rest of the answer follows within the draft
interval) and without them (STREAMING=off), since drafts add a Bot API call per answer.

The same burst also goes to the baseline of measure 2, a bare aiogram bot, whose handler waits as long as
the model does and then echoes: what aiogram alone needs for 1,000 such answers on this machine, and
so the floor under the goal.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

from .emulators import Arrivals, EmulatorProcess, Knobs, ask_burst, emulator_process
from .harness import bot_settings, echo_bot, running_bot, wait_idle
from .stats import summary
from .table import Row

GOAL_SECONDS = 1.5
ANSWER = "The answer is **42**, as always."
EXPECT = "The answer is 42"  # how the rendered answer reads in sendMessage (its bold is an entity)


async def measure(
    workdir: Path, asks: int = 1000, latency: float = 1.0, rounds: int = 3, tune_collector: bool = True
) -> list[Row]:
    """Each mode `rounds` times with a fresh bot (cold connection pools, as after a start): the median counts."""
    rows: list[Row] = []
    async with emulator_process(Knobs(first_chunk_delay=latency, answer=ANSWER)) as emu:
        for index, streaming in enumerate(("on", "off")):
            env = {
                "STREAMING": streaming,
                # The default (32) queues the rest on purpose, for paid models; the goal is about the bot.
                "MAX_CONCURRENT_REQUESTS": str(asks),
            }
            settings = bot_settings(emu, workdir / f"concurrency-{streaming}", env)
            runs = []
            for round_ in range(rounds):
                first_chat = 10_000_000 + index * 1_000_000 + round_ * asks
                sends = ask_burst(first_chat, asks)
                gc.collect()  # every run starts from the same collector state, whatever the previous one left
                async with running_bot(settings, tune_collector=tune_collector) as app:
                    cpu = time.process_time()
                    arrivals = await emu.burst(sends, expect=EXPECT, timeout=60 + latency * asks / 32)
                    runs.append((arrivals, time.process_time() - cpu))
                    await wait_idle(app)
                await emu.reset()
            rows += _rows(runs, asks, latency, streaming)
        rows.append(await _baseline(emu, asks, latency, rounds))
    return rows


async def _baseline(emu: EmulatorProcess, asks: int, latency: float, rounds: int) -> Row:
    walls = []
    for round_ in range(rounds):
        first_chat = 12_000_000 + round_ * asks
        sends = ask_burst(first_chat, asks)
        gc.collect()
        async with echo_bot(emu.tg_url, delay=latency):
            arrivals = await emu.burst(sends, expect="/ask q", timeout=60 + latency)
        await emu.reset()
        if arrivals.wrong or len(arrivals.first) < asks:
            raise RuntimeError(f"the baseline answered {len(arrivals.first)}/{asks}: {arrivals.wrong[:1]}")
        walls.append(arrivals.wall)
    walls.sort()
    return Row("1", f"same burst, a bare aiogram bot that waits {latency:g} s and echoes: time to the last answer",
               f"{walls[len(walls) // 2]:.2f} s (median of {rounds}, range {walls[0]:.2f}–{walls[-1]:.2f} s)")


def _rows(runs: list[tuple[Arrivals, float]], asks: int, latency: float, streaming: str) -> list[Row]:
    runs.sort(key=lambda run: run[0].wall)
    arrivals, bot_cpu = runs[len(runs) // 2]
    wall = arrivals.wall
    answered = min(len(a.first) - len(a.wrong) for a, _ in runs)
    wrong = next((f"; first problem: {a.wrong[0]}" for a, _ in runs if a.wrong), "")
    spread = f"median of {len(runs)}, range {runs[0][0].wall:.2f}–{runs[-1][0].wall:.2f} s; " if len(runs) > 1 else ""
    load = f"bot CPU {bot_cpu / wall:.0%}, emulators {arrivals.emulator_cpu / wall:.0%}" if wall else ""
    title = f"{asks:,} /ask at once, provider {latency:g} s, STREAMING={streaming}"
    return [
        Row("1", f"{title}: time to the last answer",
            f"{wall:.2f} s ({spread}{answered}/{asks} answered; {arrivals.calls} Bot API calls; {load}){wrong}",
            f"≤ {GOAL_SECONDS:g} s", wall <= GOAL_SECONDS and answered == asks),
        Row("1", f"{title}: latency per /ask (all runs)", summary([d for a, _ in runs for d in a.delays])),
    ]
