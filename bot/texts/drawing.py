"""Texts of /draw: options, editing, albums and their buttons, and Telegram's refusals of a picture."""


from __future__ import annotations

from html import escape

from ..i18n import _, number


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


def draw_unavailable() -> str:
    return _("Drawing is not available with the configured model provider.")


def photo_not_allowed() -> str:
    return _("I'm not allowed to send pictures in this chat. An admin can allow it in the chat's permissions.")


def photo_refused(reason: str) -> str:
    """`reason` is Telegram's error description, in English, inserted as it is."""
    return _("Telegram did not accept the picture: {reason}").format(reason=escape(reason))
