"""Small pure helpers: prompt formatting and URL handling for labels and error messages."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .types import Messages


def format_prompt(messages: Messages) -> str:
    """Flatten a chat history into one prompt, exactly as g4f's ``format_prompt`` does.

    A single message is sent unchanged; otherwise each message with content becomes ``"Role: content"``
    and ``"Assistant:"`` invites the model to answer.
    """
    if not messages:
        raise ValueError("messages must not be empty")
    if len(messages) == 1:
        return messages[0]["content"]
    lines = [f"{message['role'].capitalize()}: {message['content']}" for message in messages if message["content"]]
    return "\n".join(lines) + "\nAssistant:"


def host_label(url: str) -> str:
    """Name a provider by its host ("ai-chats.org"), for error reasons a user may read."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or url


def safe_url(url: object) -> str:
    """Drop credentials and the query string, which may hold tokens, before a URL reaches a log or error."""
    try:
        parts = urlsplit(str(url))
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "<invalid URL>"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def is_http_url(url: object) -> bool:
    """True only for absolute ``http``/``https`` URLs: anything else (file:, data:, relative) is refused."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
