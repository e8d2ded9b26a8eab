"""Records and errors of the Telegram emulator, and the decoding of Bot API form parameters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .telegram import TelegramEmulator

# Parameters that the Bot API takes as JSON-serialized objects; aiogram sends them as JSON strings.
JSON_FIELDS = frozenset(
    {
        "reply_parameters", "reply_markup", "commands", "scope", "entities", "caption_entities",
        "link_preview_options", "allowed_updates", "media", "results", "options", "reaction",
        "suggested_post_parameters", "input_message_content", "prices", "permissions", "message_ids",
    }
)  # fmt: skip
INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "message_thread_id", "draft_id", "offset", "limit", "timeout",
        "user_id", "from_chat_id", "reply_to_message_id", "max_connections", "duration", "width",
        "height", "direct_messages_topic_id", "cache_time",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "allow_sending_without_reply", "drop_pending_updates",
        "has_spoiler", "show_caption_above_media", "disable_content_type_detection", "allow_paid_broadcast",
        "disable_web_page_preview", "can_stop", "keep_on_stop", "show_alert",
    }
)  # fmt: skip


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, keyed in ``ApiCall.files`` by the parameter that attached it."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class ApiCall:
    """One Bot API request as the bot sent it, plus what the emulator answered.

    ``at`` is ``time.monotonic()`` when the request arrived (before ``latency``), so tests can measure
    intervals between calls. ``status`` is the HTTP status (``None`` when the connection was dropped);
    ``result`` is the ``result`` field on success, ``error`` the description on failure.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float
    status: int | None = 200
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        outcome = "dropped" if self.status is None else (self.status if self.ok else f"{self.status} {self.error}")
        files = f", files={list(self.files)}" if self.files else ""
        return f"ApiCall({self.method}, {self.params!r}{files} -> {outcome})"


class ApiError(Exception):
    """Raised by method handlers; becomes a Bot API error response."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Fault:
    """A queued one-off failure for one method (``status is None`` means drop the connection)."""

    status: int | None
    description: str = ""
    retry_after: int | None = None
    times: int = 1

    def error(self) -> ApiError:
        params = {"retry_after": self.retry_after} if self.retry_after is not None else None
        return ApiError(self.status or 500, self.description, params)


DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Turn form strings into what the bot meant: JSON objects decoded, ids ints, flags bools."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        params[key] = decode_value(key, value)
    return params


def decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. chat_id="@channelusername"
    if key in BOOL_FIELDS and value in ("true", "false", "True", "False"):
        return value.lower() == "true"
    return value


Handler = Callable[["TelegramEmulator", ApiCall], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler; Bot API method names are case-insensitive, so the key is lower-cased."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


@dataclass
class StoredFile:
    """Bytes the emulator knows under a file_id: uploads by the bot and media in pushed updates."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    meta: dict[str, Any] = field(default_factory=dict)


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Query, urlencoded/multipart form or JSON body -> (raw params, files keyed by param name)."""
    raw: dict[str, Any] = dict(request.query)
    parts: dict[str, UploadedFile] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            raw.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    parts[key] = UploadedFile(value.filename, value.content_type, data)
                else:
                    raw[key] = value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
    files: dict[str, UploadedFile] = {}
    attached = set()
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in parts:
            files[key] = parts[value[9:]]
            attached.add(value[9:])
    files.update({key: part for key, part in parts.items() if key not in attached})  # direct multipart upload
    return raw, files
