"""Every text the bot itself says, in one place (Telegram HTML; values are escaped by the callers' helpers)."""

from __future__ import annotations

from html import escape

COMMANDS = {
    "ask": "Ask the model a question",
    "draw": "Draw an image from a description",
    "reset": "Forget this conversation",
    "help": "How to use this bot",
}


def help_text(username: str) -> str:
    return (
        "I answer questions with a language model and draw pictures.\n\n"
        "<b>Commands</b>\n"
        "/ask <i>question</i> — ask the model; I remember the conversation\n"
        "/draw <i>description</i> — draw an image\n"
        "/reset — forget this conversation\n"
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


def unknown_command(command: str) -> str:
    return f"I don't know /{escape(command)}. See /help."


def too_long(length: int, limit: int) -> str:
    return f"That is too long: {length:,} characters; the limit is {limit:,}. Please shorten it."


def model_failed(reason: str) -> str:
    return f"The model did not answer: {escape(reason)}. Try again later."


def image_failed(reason: str) -> str:
    return f"I could not draw that: {escape(reason)}. Try again later."
