"""Measure 2: updates per second with an instant provider, next to a bare aiogram echo bot in the same run.

Both bots get the same burst of `/ask` messages from as many private chats, through the same emulator
process, and are timed from the burst to the last sendMessage. The echo bot is aiogram and nothing else:
one handler calling `message.answer(text)`. Ours also says "typing…", reads and writes the history,
asks the provider over HTTP and renders Markdown, so the ratio is the price of all that (no draft: the
answer is complete before the first preview is due). Runs alternate and the median of each is compared,
so a hiccup of the machine does not land on one side only.

Our bot also tunes the garbage collector while it serves (`bot/heap.py`); a bare aiogram bot does not,
and in this process the collector is most of its cost. So the echo bot runs a third time with the same
settings, and the ratio against that is printed too.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from bot.heap import frozen_heap

from .emulators import EmulatorProcess, Knobs, ask_burst, emulator_process
from .harness import bot_settings, echo_bot, running_bot, wait_idle
from .table import Row

GOAL_RATIO = 0.7
ANSWER = "The answer is 42."


@asynccontextmanager
async def our_bot(
    emu: EmulatorProcess, workdir: Path, streaming: str, tune_collector: bool = True
) -> AsyncIterator[None]:
    env = {"MAX_CONCURRENT_REQUESTS": "100000", "STREAMING": streaming}
    async with running_bot(bot_settings(emu, workdir, env), tune_collector=tune_collector) as app:
        yield
        await wait_idle(app)


@asynccontextmanager
async def tuned_echo_bot(api_url: str) -> AsyncIterator[None]:
    """The echo bot with the collector settings our bot serves with."""
    with frozen_heap():
        async with echo_bot(api_url):
            yield


async def run_once(
    emu: EmulatorProcess, bot: Callable[[], AbstractAsyncContextManager[None]], first_chat: int, updates: int,
    expect: str,
) -> tuple[float, float, float]:
    """One burst: (updates per second, bot CPU ms per update, emulator CPU share)."""
    sends = ask_burst(first_chat, updates)
    gc.collect()  # every run starts from the same collector state, whatever the previous one left
    async with bot():
        cpu = time.process_time()
        arrivals = await emu.burst(sends, expect=expect, timeout=120)
        cpu = time.process_time() - cpu
    await emu.reset()
    if arrivals.wrong:
        raise RuntimeError(f"{len(arrivals.wrong)} bad answers, e.g. {arrivals.wrong[0]}")
    return updates / arrivals.wall, cpu / updates * 1000, arrivals.emulator_cpu / arrivals.wall


async def measure(workdir: Path, updates: int = 1000, rounds: int = 3, tune_collector: bool = True) -> list[Row]:
    results: dict[str, list[tuple[float, float, float]]] = {}
    async with emulator_process(Knobs(answer=ANSWER)) as emu:
        bots: dict[str, tuple[Callable[[], AbstractAsyncContextManager[None]], str]] = {
            "echo": (lambda: echo_bot(emu.tg_url), "/ask q"),
            "ours": (lambda: our_bot(emu, workdir / "throughput", "on", tune_collector), ANSWER),
            "tuned echo": (lambda: tuned_echo_bot(emu.tg_url), "/ask q"),
        }
        chat = 20_000_000
        for _ in range(rounds):
            for name, (bot, expect) in bots.items():
                results.setdefault(name, []).append(await run_once(emu, bot, chat, updates, expect))
                chat += updates
    rate = {name: statistics.median(r[0] for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(r[1] for r in runs) for name, runs in results.items()}
    spread = {name: f"{min(r[0] for r in runs):,.0f}–{max(r[0] for r in runs):,.0f}" for name, runs in results.items()}
    busiest = max(r[2] for runs in results.values() for r in runs)
    ratio = rate["ours"] / rate["echo"]
    title = f"{updates:,} /ask from as many chats, instant provider"
    return [
        Row("2", f"throughput, {title}: ours ÷ aiogram echo",
            f"{ratio:.2f} ({rate['ours']:,.0f} vs {rate['echo']:,.0f} updates/s, median of {rounds}; "
            f"ranges {spread['ours']} and {spread['echo']})",
            f"≥ {GOAL_RATIO:g}", ratio >= GOAL_RATIO),
        Row("2", "same, ours ÷ the echo bot given our collector settings (bot/heap.py)",
            f"{rate['ours'] / rate['tuned echo']:.2f} ({rate['tuned echo']:,.0f} updates/s)"),
        Row("2", "bot CPU per update: ours / aiogram echo / echo with our collector settings",
            f"{cpu['ours']:.2f} / {cpu['echo']:.2f} / {cpu['tuned echo']:.2f} ms "
            f"(emulator process at most {busiest:.0%} busy)"),
    ]
