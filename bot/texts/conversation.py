"""Texts of what steers a conversation: personas, model choice, /retry and 🔄, history, token usage."""


from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from ..i18n import _, ngettext, number


def persona(prompt: str | None, *, presets: bool) -> str:
    """/persona without arguments: the conversation's system prompt, and how to change it."""
    if prompt:
        title = _("<b>Persona</b> (the instructions the model follows here):")
        shown = f"{title}\n<blockquote expandable>{escape(prompt)}</blockquote>"
    else:
        shown = _("<b>Persona</b>: none; the model gets no instructions here.")
    how = _("Change it with <code>/persona</code> <i>text</i> (up to {limit} characters), or go back to the "
            "default with <code>/persona reset</code>.").format(limit=number(PERSONA_CHARS))
    if presets:
        how += "\n" + _("Or pick one:")
    return f"{shown}\n\n{how}"


PERSONA_CHARS = 2000


def persona_set() -> str:
    return _("Done: the next answers here follow the new persona.")


def persona_reset() -> str:
    return _("Done: the persona is back to the default.")


def persona_picked(name: str) -> str:
    """A button's toast (plain text)."""
    return _("Persona: {name}").format(name=name)


def admins_steer() -> str:
    """Plain text: also a button's alert."""
    return _("In groups only the group's admins can change this.")


def default_choice() -> str:
    """The button going back to the configured default (persona)."""
    return _("Default")


def model_choice(model: str) -> str:
    return _("This conversation uses <b>{model}</b>.").format(model=escape(model))


def model_pick() -> str:
    return _("Pick another model for this conversation:")


def model_picked(model: str) -> str:
    """A button's toast (plain text)."""
    return _("Model: {model}").format(model=model)


def option_gone() -> str:
    """A button's alert: its choice is no longer configured."""
    return _("That choice is no longer available. Send the command again.")


def retry_button() -> str:
    return "🔄"


def retrying() -> str:
    """A button's toast (plain text)."""
    return _("Answering again…")


def nothing_to_retry() -> str:
    return _("There is no question here to answer again.")


def retry_not_latest() -> str:
    """A button's alert (plain text)."""
    return _("I can only answer the latest question again.")


def history_shortened() -> str:
    return _("The conversation is too long for the model: older messages are left out of this answer.")


def _reset_time(resets_at: datetime) -> str:
    return resets_at.strftime("%H:%M") + " UTC"


def usage(used: int, limit: int | None, resets_at: datetime) -> str:
    text = ngettext("Today you used {tokens} token.", "Today you used {tokens} tokens.", used).format(
        tokens=number(used)
    )
    if limit is not None:
        text += " " + _("Your daily limit is {limit}; it starts again at {time}.").format(
            limit=number(limit), time=_reset_time(resets_at)
        )
    return text


def tokens_exhausted(limit: int, resets_at: datetime) -> str:
    """Plain text: also a button's alert."""
    return _("You have used your {limit} tokens for today. You can ask again after {time}.").format(
        limit=number(limit), time=_reset_time(resets_at)
    )


def top_usage(rows: Sequence[tuple[int, int]]) -> str:
    lines = [_("<b>Tokens today</b>")]
    lines += [f"{user_id}: {number(tokens)}" for user_id, tokens in rows] or [_("none yet")]
    return "\n".join(lines)
