"""Texts of photos, voice messages and documents taken as questions, and of what cannot be taken."""


from __future__ import annotations

from html import escape

from provider import (
    ProviderError,
)

from ..i18n import _, number


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
