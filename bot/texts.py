"""Every text the bot itself says, in one place (Telegram HTML; values are escaped by the callers' helpers)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from provider import ProviderStatus

COMMANDS = {
    "ask": "Ask the model a question",
    "draw": "Draw an image from a description",
    "reset": "Forget this conversation",
    "cancel": "Stop the answer being written",
    "model": "Show the model providers and their health",
    "help": "How to use this bot",
}


def help_text(username: str) -> str:
    return (
        "I answer questions with a language model and draw pictures.\n\n"
        "<b>Commands</b>\n"
        "/ask <i>question</i> — ask the model; I remember the conversation\n"
        "/draw <i>description</i> — draw an image\n"
        "/cancel — stop the answer being written\n"
        "/reset — forget this conversation\n"
        "/model — which model providers answer, and whether they are healthy\n"
        "/help — this message\n\n"
        "In a private chat you can also just write to me, and reply to any of my answers to go on.\n\n"
        "<b>In groups</b>\n"
        f"Everyone in a group (or forum topic) shares one conversation. Address commands to me as "
        f"/ask@{escape(username)} or reply to one of my messages: with privacy mode on, "
        "that is all Telegram shows me."
    )


ASK_USAGE = "Write your question after the command, e.g. <code>/ask What is a black hole?</code>"
DRAW_USAGE = "Describe the picture after the command, e.g. <code>/draw a fox in the snow, watercolour</code>"
RESET_DONE = "Done: I have forgotten this conversation."
DRAW_UNAVAILABLE = "Drawing is not available with the configured model provider."
TEXT_ONLY = "I can only read text. Send me a question, or use /draw to get a picture."
INTERNAL_ERROR = "Something went wrong on my side. Please try again."
QUEUED = "⏳ I'm still answering the previous question here; yours is next."
CANCELLED = "Stopped. Nothing of that answer was kept."
NOTHING_TO_CANCEL = "There is no answer being written here."
ADMINS_ONLY = "Only the bot's admins can use /stats."


def not_allowed(user_id: int | None) -> str:
    who = f" Your Telegram id is <code>{user_id}</code>." if user_id is not None else ""
    return f"Sorry, this bot is private: ask its owner to let you in.{who}"


def rate_limited(seconds: float, rate: str) -> str:
    return f"Slow down a little: the limit is {escape(rate)}. Try again in {seconds:.0f} s."


def stats(conversations: int, turns: int, statuses: Sequence[ProviderStatus]) -> str:
    lines = [
        "<b>Stored</b>",
        f"{conversations:,} conversations, {turns:,} messages",
        "",
        "<b>Providers since start</b>",
    ]
    lines += [f"{escape(s.label)}: {s.requests:,} requests, {s.errors:,} errors" for s in statuses]
    return "\n".join(lines)


def unknown_command(command: str) -> str:
    return f"I don't know /{escape(command)}. See /help."


def too_long(length: int, limit: int) -> str:
    return f"That is too long: {length:,} characters; the limit is {limit:,}. Please shorten it."


def model_failed(reason: str) -> str:
    return f"The model did not answer: {escape(reason)}. Try again later."


def image_failed(reason: str) -> str:
    return f"I could not draw that: {escape(reason)}. Try again later."


def provider_chain(statuses: Sequence[ProviderStatus]) -> str:
    lines = ["<b>Model providers</b>, in the order they are tried:"]
    for number, status in enumerate(statuses, start=1):
        drawing = f", draws with {escape(status.image_model)}" if status.image_model else ""
        line = f"{number}. {escape(status.label)} — {escape(status.model)}{drawing}: "
        if status.healthy:
            line += "healthy ✅"
        elif status.state == "open":
            line += f"skipped for {status.retry_in or 0:.0f} s after {status.failures} failures ⛔"
        elif status.state == "half-open":
            line += f"on trial after {status.failures} failures ⚠️"
        else:
            line += f"failing ({status.failures} in a row) ⚠️"
        if status.last_error and not status.healthy:
            line += f"\n    last error: {escape(status.last_error)}"
        lines.append(line)
    return "\n".join(lines)
