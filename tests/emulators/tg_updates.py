"""Builders of realistic incoming updates (what a user or channel sends to the bot)."""

from __future__ import annotations

import io
import re
import time
from typing import TYPE_CHECKING, Any, Literal

from PIL import Image

from ..helpers import png_bytes
from ..telegram_html import telegram_len
from .tg_media import photo_sizes

if TYPE_CHECKING:
    from .tg_chats import ChatStore

ChatType = Literal["private", "group", "supergroup", "channel"]
DEFAULT_USER_ID = 1001
# The placeholder accounts Telegram puts in "from" when someone writes as a chat (the real sender is
# "sender_chat"): an anonymous group admin, and a channel (a channel post in a group or its discussion).
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
DEFAULT_CHAT_IDS: dict[str, int] = {"group": -4001, "supergroup": -1001000000001, "channel": -1001000000002}
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?!\w)")


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram computes itself: a leading /command (with @bot suffix) and @mentions."""
    entities: list[dict[str, Any]] = []
    if m := _COMMAND_RE.match(text):
        entities.append({"type": "bot_command", "offset": 0, "length": telegram_len(m.group())})
    for m in _MENTION_RE.finditer(text):
        offset = telegram_len(text[: m.start()])
        entities.append({"type": "mention", "offset": offset, "length": telegram_len(m.group())})
    return entities


class UpdateBuilders:
    """Mixin of :class:`TelegramEmulator`: builds update dicts (without update_id) for ``push_update``.

    Building allocates the message_id (shared per-chat counter); ``push_update`` puts the message into
    the transcript, so replies to it and ``messages(chat_id)`` work.
    """

    store: ChatStore

    def message_update(
        self,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        last_name: str | None = None,
        username: str | None = "alice",
        language_code: str | None = "en",
        chat_title: str | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        edited: bool = False,
        message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        content: dict[str, Any] | None = None,
        sender_chat: int | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update (``edited_message`` if ``edited``; ``channel_post`` for channels).

        ``edited=True`` needs ``message_id`` of the earlier message. ``thread_id`` makes a forum-topic
        message; in a supergroup without an explicit reply it replies to the topic's root message, as
        Telegram does. ``content`` merges extra message fields (media built by the other helpers).
        ``sender_chat`` writes as a chat: the group's own id (an anonymous admin, ``from`` GroupAnonymousBot),
        or a channel's id or chat object (``from`` Channel_Bot), as Telegram sends them.
        """
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else DEFAULT_CHAT_IDS[chat_type]
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username), ("language_code", language_code)):
            if value is not None:
                user[key] = value
        chat = self._chat_object(chat_id, chat_type, user, chat_title, thread_id)
        if edited and message_id is None:
            raise ValueError("edited=True needs message_id of the message being edited")
        if thread_id is not None:
            self.store.reserve_ids(chat_id, thread_id)  # the topic's root message precedes its messages
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self.store.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
        }
        if chat_type == "channel":
            message["sender_chat"] = dict(chat)
        elif sender_chat is not None:
            as_chat = self._sender_chat(sender_chat, chat)
            message["from"] = dict(ANONYMOUS_ADMIN if as_chat["id"] == chat_id else CHANNEL_BOT)
            message["sender_chat"] = as_chat
        else:
            message["from"] = user
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to_message_id is not None:
            reply = self.store.as_reply(chat_id, reply_to_message_id)
            if reply is None:
                raise ValueError(f"message {reply_to_message_id} is not in chat {chat_id}")
            message["reply_to_message"] = reply
        elif thread_id is not None and chat_type == "supergroup":
            message["reply_to_message"] = self._topic_root(chat, user, thread_id)
        if text is not None:
            message["text"] = text
            found = auto_entities(text) if entities is None else entities
            if found:
                message["entities"] = found
        if caption is not None:
            message["caption"] = caption
            found = auto_entities(caption) if caption_entities is None else caption_entities
            if found:
                message["caption_entities"] = found
        message.update(content or {})
        if edited:
            message["edit_date"] = int(time.time())
        key = ("edited_" if edited else "") + ("channel_post" if chat_type == "channel" else "message")
        return {key: message}

    def callback_query_update(
        self,
        data: str,
        *,
        message_id: int,
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        inaccessible: bool = False,
    ) -> dict[str, Any]:
        """A ``callback_query`` update: ``user_id`` pressed a button with ``data`` under message ``message_id``
        (which must be in the chat, usually one the bot sent). Its id can be answered once with
        answerCallbackQuery; ``store.callback_queries[id]["answer"]`` then holds the answer. ``inaccessible``:
        the message is one the bot can no longer see (too old, or deleted), sent as an InaccessibleMessage:
        its chat and id, and date 0."""
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else DEFAULT_CHAT_IDS[chat_type]
        message = self.store.as_reply(chat_id, message_id)
        if message is None:
            raise ValueError(f"message {message_id} is not in chat {chat_id}")
        if inaccessible:
            message = {"chat": message["chat"], "message_id": message_id, "date": 0}
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (("username", username), ("language_code", language_code)):
            if value is not None:
                user[key] = value
        query_id = str(4_000_000_000_000_000_000 + user_id * 1000 + len(self.store.callback_queries))
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(hash((chat_id, "instance"))) % 10**19),
            "data": data,
        }
        self.store.callback_queries[query_id] = {"query": query}
        return {"callback_query": query}

    def photo_update(self, image: bytes | None = None, *, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """A photo message; ``image`` defaults to a 64x48 PNG. The bot can getFile/download it."""
        data = image if image is not None else png_bytes()
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
        sizes = photo_sizes(self.store, data, width, height)
        return self.message_update(caption=caption, content={"photo": sizes}, **kwargs)

    def album_updates(
        self, images: list[bytes], *, caption: str | None = None, group_id: str = "13571113", **kwargs: Any
    ) -> list[dict[str, Any]]:
        """An album: one photo message per image, sharing ``media_group_id``; the caption on the first."""
        updates = []
        for n, image in enumerate(images):
            update = self.photo_update(image, caption=caption if n == 0 else None, **kwargs)
            update["message"]["media_group_id"] = group_id
            updates.append(update)
        return updates

    def audio_update(
        self, data: bytes, *, kind: Literal["audio", "video_note"] = "audio", file_name: str = "song.mp3",
        mime_type: str = "audio/mpeg", caption: str | None = None, **kwargs: Any,
    ) -> dict[str, Any]:
        """An audio file or a round video note (``kind``)."""
        ext = "mp4" if kind == "video_note" else file_name.rsplit(".", 1)[-1]
        stored = self.store.add_file(data, kind, ext, mime_type=mime_type)
        media: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                 "duration": 3, "file_size": len(data)}
        if kind == "video_note":
            media["length"] = 240
        else:
            media.update(file_name=file_name, mime_type=mime_type)
        return self.message_update(caption=caption, content={kind: media}, **kwargs)

    def sticker_update(self, emoji: str = "👍", **kwargs: Any) -> dict[str, Any]:
        stored = self.store.add_file(png_bytes(512, 512), "sticker", "webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.data),
        }
        return self.message_update(content={"sticker": sticker}, **kwargs)

    def voice_update(
        self, duration: int = 3, *, data: bytes = b"OggS" + bytes(60), caption: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        stored = self.store.add_file(data, "voice", "oga", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self.message_update(caption=caption, content={"voice": voice}, **kwargs)

    def document_update(
        self,
        data: bytes,
        *,
        file_name: str = "notes.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self.store.add_file(data, "document", ext, file_name=file_name, mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        return self.message_update(caption=caption, content={"document": document}, **kwargs)

    def _chat_object(
        self, chat_id: int, chat_type: str, user: dict[str, Any], title: str | None, thread_id: int | None
    ) -> dict[str, Any]:
        if chat_type == "private":
            names = {k: v for k, v in user.items() if k in ("first_name", "last_name", "username")}
            return {"id": chat_id, "type": "private", **names}
        known = self.store.chats.get(chat_id, {})
        default_title = "Test Channel" if chat_type == "channel" else "Test Group"
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title or known.get("title", default_title)}
        if chat_type == "supergroup" and (thread_id is not None or known.get("is_forum")):
            chat["is_forum"] = True
        return chat

    def _sender_chat(self, sender: int | dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        if isinstance(sender, dict):
            return dict(sender)
        if sender == chat["id"]:
            return dict(chat)
        known = self.store.chats.get(sender, {})
        return {"id": sender, "type": "channel", "title": known.get("title", "Test Channel")}

    def _topic_root(self, chat: dict[str, Any], user: dict[str, Any], thread_id: int) -> dict[str, Any]:
        return {
            "message_id": thread_id,
            "date": int(time.time()) - 3600,
            "chat": chat,
            "from": user,
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": f"Topic {thread_id}", "icon_color": 7322096},
        }
