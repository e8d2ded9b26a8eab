"""Small pure helpers: prompt formatting, URL handling for labels and error messages, a masked secret."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .content import content_text
from .types import Messages


def format_prompt(messages: Messages) -> str:
    """Flatten a chat history into one prompt, exactly as g4f's ``format_prompt`` does.

    A single message is sent unchanged; otherwise each message with content becomes ``"Role: content"``
    and ``"Assistant:"`` invites the model to answer. Content parts (images) are flattened to their text,
    each picture as ``[image]``.
    """
    if not messages:
        raise ValueError("messages must not be empty")
    if len(messages) == 1:
        return content_text(messages[0]["content"])
    texts = [(str(message["role"]), content_text(message["content"])) for message in messages]
    lines = [f"{role.capitalize()}: {text}" for role, text in texts if text]
    return "\n".join(lines) + "\nAssistant:"


def host_label(url: str, *, with_port: bool = False) -> str:
    """Name a provider by its host ("ai-chats.org"), or host and explicit port ("127.0.0.1:11434"),
    for error reasons a user may read: never the scheme, path, credentials or query.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port if with_port else None
    except ValueError:
        return url
    if not host:
        return url
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port is not None else host


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


class ApiKey:
    """A secret whose ``str``/``repr`` are masked, so printing a class namespace or an error cannot leak it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value or "\r" in value or "\n" in value:
            raise ValueError("api_key must be non-empty and must not contain line breaks")
        self._value = value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def bearer(self) -> str:
        """The ``Authorization`` header value: the one place the key is spelled out."""
        return f"Bearer {self._value}"

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the key replaced, for messages a server echoed back."""
        return text.replace(self._value, "***")
