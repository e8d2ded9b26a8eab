"""Chat state of the Telegram emulator: chats, per-chat message history and known files."""

from __future__ import annotations

import copy
import hashlib
import itertools
import time
from typing import Any

from ..telegram_html import check_entities, parse_telegram_html_entities, telegram_len
from .tg_models import StoredFile, bad_request

_TRIM = " \t\r\n\v\f"


def infer_chat(chat_id: int) -> dict[str, Any]:
    """A plausible chat for an id never seen in an update, following Telegram's id ranges."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    if str(chat_id).startswith("-100"):
        return {"id": chat_id, "type": "supergroup", "title": f"Supergroup {chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}


class ChatStore:
    """What each chat currently shows, so replies resolve and tests can read the transcript."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        # chat id -> user id -> (status, extra ChatMember fields), set by tests (see tg_members)
        self.members: dict[int, dict[int, tuple[str, dict[str, Any]]]] = {}
        # callback query id -> the query as pushed, plus "answer" once answerCallbackQuery took it
        self.callback_queries: dict[str, dict[str, Any]] = {}

    # chats -----------------------------------------------------------------
    def register_chat(self, chat: dict[str, Any]) -> None:
        known = self.chats.setdefault(chat["id"], {})
        known.update(chat)

    def chat(self, chat_id: int) -> dict[str, Any]:
        return dict(self.chats.get(chat_id) or infer_chat(chat_id))

    def is_known(self, chat_id: int) -> bool:
        return chat_id in self.chats or chat_id in self._messages

    def set_member(self, chat_id: int, user_id: int, status: str = "administrator", **extra: Any) -> None:
        """What getChatMember answers for this user: "creator", "administrator", "member", "restricted",
        "left" or "kicked"; `extra` overrides fields (rights, ``until_date``...)."""
        self.members.setdefault(chat_id, {})[user_id] = (status, extra)

    # messages --------------------------------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        """Message ids grow per chat and are shared by the user's and the bot's messages, as in Telegram."""
        self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
        return self._last_id[chat_id]

    def reserve_ids(self, chat_id: int, up_to: int) -> None:
        self._last_id[chat_id] = max(self._last_id.get(chat_id, 0), up_to)

    def put(self, message: dict[str, Any]) -> None:
        chat_id = message["chat"]["id"]
        stored = copy.deepcopy(message)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = stored
        self._last_id[chat_id] = max(self._last_id.get(chat_id, 0), message["message_id"])

    def get(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def delete(self, chat_id: int, message_id: int) -> bool:
        return self._messages.get(chat_id, {}).pop(message_id, None) is not None

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [copy.deepcopy(m) for _, m in sorted(self._messages.get(chat_id, {}).items())]

    def as_reply(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The message as embedded in ``reply_to_message`` (Telegram does not nest replies further)."""
        message = self.get(chat_id, message_id)
        if message is None:
            return None
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def bot_message(self, chat_id: int, thread_id: int | None, reply_to: int | None) -> dict[str, Any]:
        """Skeleton of a message the bot sends; the caller adds text or media."""
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "from": dict(self.bot_user),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
        }
        if thread_id:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            reply = self.as_reply(chat_id, reply_to)
            if reply is not None:
                message["reply_to_message"] = reply
        return message

    # files -----------------------------------------------------------------
    def add_file(self, data: bytes, kind: str, ext: str, **meta: Any) -> StoredFile:
        """Store bytes under fresh ids; file_unique_id is content-based, like Telegram's."""
        n = next(self._file_seq)
        digest = hashlib.sha1(data).hexdigest()
        stored = StoredFile(
            file_id=f"{kind.upper()}-{n:06d}-{digest[:10]}",
            file_unique_id=f"U{digest[:15]}",
            data=data,
            file_path=f"{kind}s/file_{n}.{ext}",
            meta=meta,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)


def render_text(text: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Apply ``parse_mode`` the way Telegram does and trim surrounding whitespace (entities follow).

    HTML and ``entities`` (without a parse_mode) are validated as Telegram does; Markdown modes keep
    the text verbatim (not emulated).
    """
    text = text or ""
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            text, found = parse_telegram_html_entities(text)
        elif mode == "" and entities is not None:
            found = check_entities(text, entities)
        elif mode in ("", "markdown", "markdownv2"):
            found = []
        else:
            raise bad_request("unsupported parse_mode")
    except ValueError as e:
        raise bad_request(str(e)) from None
    return _trim(text, found)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    shift = telegram_len(text[: len(text) - len(text.lstrip(_TRIM))])
    end = telegram_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            result.append({**entity, "offset": start, "length": stop - start})
    return stripped, result
