"""Every text the bot itself says, in one place (Telegram HTML; values are escaped here).

Each text is a function, not a constant: a constant would be translated once, at import, in no one's
language. The English strings are gettext msgids, translated in `bot/locales/`; see README's "Languages".
Model answers and provider error reasons are never translated, only framed.

This package is split by feature; every text is read as `texts.name` from here.
"""


from __future__ import annotations

from html import escape

from ..config import Rate
from ..i18n import _, ngettext, number
from .drawing import draw_help


def commands() -> dict[str, str]:
    """The command menu, in the current language."""
    return {
        "ask": _("Ask the model a question"),
        "retry": _("Answer the last question again"),
        "draw": _("Draw an image from a description"),
        "reset": _("Forget this conversation"),
        "cancel": _("Stop the answer being written"),
        "persona": _("Show or change the model's instructions here"),
        "model": _("Show the model providers and pick a model"),
        "usage": _("Tokens you used today"),
        "help": _("How to use this bot"),
    }


def help_text(username: str) -> str:
    return _(
        "I answer questions with a language model and draw pictures.\n\n"
        "<b>Commands</b>\n"
        "/ask <i>question</i> — ask the model; I remember the conversation\n"
        "/draw <i>description</i> — draw an image\n"
        "/cancel — stop the answer being written\n"
        "/retry — answer the last question again (or press 🔄 under the answer)\n"
        "/reset — forget this conversation\n"
        "/persona — the instructions the model follows here; <code>/persona</code> <i>text</i> sets them, "
        "<code>/persona reset</code> goes back to the default\n"
        "/model — which model providers answer, whether they are healthy, and which model this chat uses\n"
        "/usage — the tokens you used today\n"
        "/help — this message\n\n"
        "In a private chat you can also just write to me, and reply to any of my answers to go on.\n\n"
        "<b>Photos, voice and files</b>\n"
        "Send a photo (or an album) with a question in its caption, a voice or audio message, or a text or PDF "
        "document: I read it and answer. In groups, put /ask in the caption or reply /ask to it.\n\n"
        "<b>In groups</b>\n"
        "Everyone in a group (or forum topic) shares one conversation, unless the bot's owner gave each member "
        "their own. Address commands to me as /ask@{username} or reply to one of my messages: with privacy mode "
        "on, that is all Telegram shows me. Only the group's admins may change the persona or the model."
    ).format(username=escape(username)) + "\n\n" + draw_help()


def ask_usage() -> str:
    return _("Write your question after the command, e.g. <code>/ask What is a black hole?</code>")


def reset_done() -> str:
    return _("Done: I have forgotten this conversation.")


def internal_error() -> str:
    return _("Something went wrong on my side. Please try again.")


def store_unavailable() -> str:
    return _("My memory is temporarily unavailable, so I can't answer right now. Please try again in a minute.")


def queued() -> str:
    return _("⏳ I'm still answering the previous question here; yours is next.")


def cancelled() -> str:
    """Said by whoever stopped an answer or a drawing at /cancel: parts already sent stay on screen."""
    return _("⏹ Stopped. Nothing of it was kept.")


def nothing_to_cancel() -> str:
    return _("There is no answer being written here.")


def admins_only() -> str:
    return _("Only the bot's admins can use /stats.")


def answer_file_caption() -> str:
    return _("The whole answer as a file.")


def private_bot() -> str:
    """The refusal alone (plain text: also a button's alert)."""
    return _("Sorry, this bot is private: ask its owner to let you in.")


def not_allowed(user_id: int | None, *, as_chat: bool = False) -> str:
    """`as_chat`: the sender wrote as a group (anonymous admin) or a channel, and `user_id` is that chat's id."""
    refusal = private_bot()
    if user_id is None:
        return refusal
    if as_chat:
        return refusal + " " + _("You are writing as a chat; its id is <code>{chat_id}</code>.").format(
            chat_id=user_id
        )
    return refusal + " " + _("Your Telegram id is <code>{user_id}</code>.").format(user_id=user_id)


def conversation_busy() -> str:
    return _("I'm still answering an earlier question here. Please try again in a minute.")


def rate(limit: Rate) -> str:
    """A rate such as "10/min" (in Russian, "10 запросов в минуту")."""
    count = limit.count
    # Translators: a per-user request rate, {count} requests per second/minute/hour/day ("10/min").
    text = {
        1: ngettext("{count}/s", "{count}/s", count),
        60: ngettext("{count}/min", "{count}/min", count),
        3600: ngettext("{count}/h", "{count}/h", count),
        86400: ngettext("{count}/day", "{count}/day", count),
    }[limit.seconds]
    return text.format(count=number(count))


def rate_limited(seconds: float, limit: Rate) -> str:
    wait = max(1, round(seconds))  # never "try again in 0 s"
    return " ".join((
        # Translators: {rate} is one of the "{count}/min" texts.
        _("Slow down a little: the limit is {rate}.").format(rate=escape(rate(limit))),
        ngettext("Try again in {seconds} s.", "Try again in {seconds} s.", wait).format(seconds=number(wait)),
    ))


def group_rate_limited(seconds: float, limit: Rate) -> str:
    """The group's own limit (e.g. GROUP_DRAW_RATE) was reached, whoever in it asks."""
    wait = max(1, round(seconds))
    return " ".join((
        # Translators: {rate} is one of the "{count}/min" texts; the limit is shared by everyone in the group.
        _("This group has used up its limit of {rate}.").format(rate=escape(rate(limit))),
        ngettext("Try again in {seconds} s.", "Try again in {seconds} s.", wait).format(seconds=number(wait)),
    ))


def unknown_command(command: str) -> str:
    return _("I don't know /{command}. See /help.").format(command=escape(command))


def too_long(length: int, limit: int) -> str:
    return ngettext(
        "That is too long: {length} character; the limit is {limit}. Please shorten it.",
        "That is too long: {length} characters; the limit is {limit}. Please shorten it.",
        length,
    ).format(length=number(length), limit=number(limit))
