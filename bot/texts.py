"""Every text the bot itself says, in one place (Telegram HTML; values are escaped here).

Each text is a function, not a constant: a constant would be translated once, at import, in no one's
language. The English strings are gettext msgids, translated in `bot/locales/`; see README's "Languages".
Model answers and provider error reasons are never translated, only framed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from provider import (
    AllProvidersFailedError,
    CapabilityStatus,
    ProviderContextLengthError,
    ProviderError,
    ProviderStatus,
)

from .config import Rate
from .i18n import _, ngettext, number


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


def draw_help() -> str:
    """The drawing part of /help, and what /draw alone says."""
    return _(
        "<b>Drawing</b>\n"
        "<code>/draw a fox in the snow</code> draws a picture. Reply with /draw to a photo (anyone's, or one I "
        "drew) to edit it: <code>/draw make it night</code>.\n"
        "Options anywhere in the description: <code>--wide</code>, <code>--tall</code>, <code>--square</code> "
        "or a size like <code>1024x1792</code>; <code>x2</code>, <code>x3</code>… for several pictures at once.\n"
        "Under a picture, 🔄 draws it again and ✏️ asks for a variation."
    )


def ask_usage() -> str:
    return _("Write your question after the command, e.g. <code>/ask What is a black hole?</code>")


def draw_usage() -> str:
    return _("Describe the picture after the command, e.g. <code>/draw a fox in the snow, watercolour</code>")


def draw_options_help() -> str:
    """/draw alone: how to describe, edit, and which options there are."""
    return draw_usage() + "\n\n" + draw_help()


def draw_queued() -> str:
    return _("⏳ Your previous picture is still being drawn; this one comes next.")


def asked_by(name: str) -> str:
    """The end of a picture's caption in groups (plain text: the caption is escaped as a whole)."""
    return _("— asked by {name}").format(name=name)


def edit_unavailable() -> str:
    return _("None of the configured image services can edit pictures. /draw without a reply draws a new one.")


def edit_needs_photo() -> str:
    return _("I can only edit photos. Reply with /draw to a photo, or send /draw without a reply.")


def edit_source_too_large(limit_bytes: int) -> str:
    return _("That picture is too large for me to edit (the limit is {size} MB).").format(
        size=number(max(1, limit_bytes // (1024 * 1024)))
    )


def photo_unreadable() -> str:
    return _("That file is not a picture I can read.")


def draw_again_button() -> str:
    return _("🔄 Again")


def draw_vary_button() -> str:
    return _("✏️ Vary")


def draw_album_buttons() -> str:
    """The message carrying the buttons under an album (albums cannot carry buttons themselves)."""
    return _("More like these?")


def draw_button_expired() -> str:
    return _("This button has expired: send /draw again.")


def drawing_now() -> str:
    return _("🎨 Drawing…")


def reset_done() -> str:
    return _("Done: I have forgotten this conversation.")


def draw_unavailable() -> str:
    return _("Drawing is not available with the configured model provider.")


def text_only() -> str:
    return _(
        "I can't read this kind of message. Send me text, a photo, a voice message or a text or PDF document, "
        "or use /draw to get a picture."
    )


def describe_picture() -> str:
    """The question asked about a photo sent without one."""
    return _("What is in this picture?")


def summarise_document() -> str:
    """The question asked about a document sent without one."""
    return _("Summarise this document.")


def document_header(name: str) -> str:
    """Introduces a document's text in the conversation (the model reads it; not HTML)."""
    return _("Document {name}:").format(name=name)


def no_vision() -> str:
    return _("None of the configured models can see images, so I can't answer about pictures here.")


def photo_too_large(limit: int) -> str:
    return _("This photo is too large for me: the limit is {size} MB.").format(size=number(limit // (1024 * 1024)))


def file_too_big(limit: int) -> str:
    return _("This file is too big: Telegram lets bots download files up to {size} MB.").format(
        size=number(limit // (1024 * 1024))
    )


def download_failed() -> str:
    return _("I could not download that file from Telegram. Please send it again.")


def transcription_off() -> str:
    return _("I can't listen to voice messages here: speech recognition is not set up. Please write instead.")


def transcription_failed(error: ProviderError | str) -> str:
    reason = escape(error if isinstance(error, str) else error.reason)
    return _("I could not transcribe that: {reason}. Try again later, or write instead.").format(reason=reason)


def nothing_heard() -> str:
    return _("I could not make out any words in that recording.")


def transcript(text: str) -> str:
    """The recognised speech, quoted (cut to a few lines), before the answer to it."""
    shown = text if len(text) <= 300 else text[:299].rstrip() + "…"
    return _("🎤 I heard:") + f"\n<blockquote>{escape(shown)}</blockquote>"


def document_unsupported(name: str) -> str:
    return _(
        "I can't read {name}: I understand text files (.txt, .md, .csv, .json, .py and the like) and PDFs."
    ).format(name=f"<code>{escape(name)}</code>")


def document_encrypted(name: str) -> str:
    return _("{name} is password-protected, so I can't read it.").format(name=f"<code>{escape(name)}</code>")


def document_no_text(name: str) -> str:
    return _("I found no text in {name} (a scanned PDF holds only pictures). Send it as photos instead.").format(
        name=f"<code>{escape(name)}</code>"
    )


def document_undecodable(name: str) -> str:
    return _("I can't read {name}: it is not UTF-8 or UTF-16 text.").format(name=f"<code>{escape(name)}</code>")


def document_unreadable(name: str) -> str:
    return _("I can't read {name}: the file seems damaged.").format(name=f"<code>{escape(name)}</code>")


def document_cut(limit: int, length: int) -> str:
    return _(
        "The document is long: I read only its first {limit} characters of {length}."
    ).format(limit=number(limit), length=number(length))


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


def photo_not_allowed() -> str:
    return _("I'm not allowed to send pictures in this chat. An admin can allow it in the chat's permissions.")


def photo_refused(reason: str) -> str:
    """`reason` is Telegram's error description, in English, inserted as it is."""
    return _("Telegram did not accept the picture: {reason}").format(reason=escape(reason))


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


def stats(conversations: int, turns: int, statuses: Sequence[ProviderStatus]) -> str:
    lines = [
        _("<b>Stored</b>"),
        ngettext("{count} conversation", "{count} conversations", conversations).format(count=number(conversations))
        + ", "
        + ngettext("{count} message", "{count} messages", turns).format(count=number(turns)),
        "",
        _("<b>Providers since start</b>"),
    ]
    for s in statuses:
        images = s.images if s.images is not None and s.images.requests else None
        requests, errors = s.requests + (images.requests if images else 0), s.errors + (images.errors if images else 0)
        line = f"{escape(s.label)}: {_counts(requests, errors)}"
        if images is not None:
            # Translators: /stats: how many of a provider's requests (and errors) were drawings.
            line += " " + _("(images: {counts})").format(counts=_counts(images.requests, images.errors))
        lines.append(line)
    return "\n".join(lines)


def _counts(requests: int, errors: int) -> str:
    return (
        ngettext("{count} request", "{count} requests", requests).format(count=number(requests))
        + ", "
        + ngettext("{count} error", "{count} errors", errors).format(count=number(errors))
    )


def unknown_command(command: str) -> str:
    return _("I don't know /{command}. See /help.").format(command=escape(command))


def too_long(length: int, limit: int) -> str:
    return ngettext(
        "That is too long: {length} character; the limit is {limit}. Please shorten it.",
        "That is too long: {length} characters; the limit is {limit}. Please shorten it.",
        length,
    ).format(length=number(length), limit=number(limit))


def _advice(error: ProviderError | str) -> str:
    """What the failure calls for: "context" (start afresh), "later" (the service is unwell) or "refused"."""
    if isinstance(error, str):
        return "later"
    errors = error.errors if isinstance(error, AllProvidersFailedError) else [error]
    if any(isinstance(e, ProviderContextLengthError) for e in errors):
        return "context"
    return "later" if error.transient else "refused"


def model_failed(error: ProviderError | str) -> str:
    """The reason comes from provider/ in English and is inserted as it is; the advice fits the error."""
    reason = escape(error if isinstance(error, str) else error.reason)
    advice = _advice(error)
    if advice == "context":
        return _(
            "The model did not answer: {reason}. The conversation is too long for it: send /reset to start a new one."
        ).format(reason=reason)
    if advice == "refused":
        return _(
            "The model did not answer: {reason}. The provider refused the request, so trying again will not help; "
            "if this goes on, tell the bot's owner."
        ).format(reason=reason)
    return _("The model did not answer: {reason}. Try again later.").format(reason=reason)


def image_failed(error: ProviderError | str) -> str:
    reason = escape(error if isinstance(error, str) else error.reason)
    if _advice(error) == "later":
        return _("I could not draw that: {reason}. Try again later.").format(reason=reason)
    return _(
        "I could not draw that: {reason}. The provider refused the request: try another description, "
        "or tell the bot's owner if this goes on."
    ).format(reason=reason)


def provider_chain(statuses: Sequence[ProviderStatus]) -> str:
    lines = [_("<b>Model providers</b>, in the order they are tried:")]
    for position, status in enumerate(statuses, start=1):
        name = escape(status.label)
        if status.kind and status.kind != status.label:
            name += f" ({escape(status.kind)})"
        line = f"{position}. {name} — {escape(status.model)}: {_provider_state(status.chat)}"
        if status.last_error and not status.healthy:
            line += "\n    " + _("last error: {error}").format(error=escape(status.last_error))
        if status.image_model and status.images is not None:
            images = status.images
            # Translators: /model: the provider's image capability, which has its own health.
            line += "\n    " + _("draws with {image_model}: {state}").format(
                image_model=escape(status.image_model), state=_provider_state(images)
            )
            if images.last_error and not images.healthy:
                line += "\n    " + _("last error: {error}").format(error=escape(images.last_error))
        lines.append(line)
    return "\n".join(lines)


def _provider_state(status: CapabilityStatus) -> str:
    failures = status.failures
    # Translators: follows "skipped for {seconds} s" or "on trial" in /model, e.g. "on trial after 3 failures".
    after = ngettext("after {failures} failure", "after {failures} failures", failures).format(failures=failures)
    if status.healthy:
        return _("healthy ✅")
    if status.state == "open":
        wait = round(status.retry_in or 0)
        # Translators: /model: a provider that failed too often is not asked for {seconds} more seconds.
        skipped = ngettext("skipped for {seconds} s", "skipped for {seconds} s", wait).format(seconds=number(wait))
        return f"{skipped} {after} ⛔"
    if status.state == "half-open":
        # Translators: /model: a provider that failed is being tried again with one request.
        return _("on trial") + f" {after} ⚠️"
    return ngettext("failing ({failures} in a row)", "failing ({failures} in a row)", failures).format(
        failures=failures
    ) + " ⚠️"


# ---- conversations people steer: persona, model, /retry, usage


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
