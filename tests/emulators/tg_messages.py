"""Text-message methods of the Telegram emulator, with Telegram's validation and error texts."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from ..telegram_html import telegram_len
from .tg_chats import render_text
from .tg_models import ApiCall, api_method, bad_request

if TYPE_CHECKING:
    from .telegram import TelegramEmulator

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


def chat_id_of(tg: TelegramEmulator, params: dict[str, Any]) -> int:
    """The target chat; usernames and (with ``strict_chats``) never-seen chats are 'chat not found'."""
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise bad_request("chat_id is empty")
    if not isinstance(chat_id, int) or (tg.strict_chats and not tg.store.is_known(chat_id)):
        raise bad_request("chat not found")
    return chat_id


def reply_target(tg: TelegramEmulator, chat_id: int, params: dict[str, Any]) -> int | None:
    """Resolve reply_parameters (or legacy reply_to_message_id) like Telegram does."""
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        message_id, allow_missing = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        chat_id = reply.get("chat_id", chat_id)
    elif params.get("reply_to_message_id") is not None:
        message_id = params["reply_to_message_id"]
        allow_missing = bool(params.get("allow_sending_without_reply"))
    else:
        return None
    if isinstance(message_id, int) and tg.store.get(chat_id, message_id) is not None:
        return message_id
    if allow_missing:
        return None
    raise bad_request("message to be replied not found")


def inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """Only inline keyboards are part of a message (other markups affect the user's keyboard); a button's
    callback_data must be 1-64 bytes, as Telegram checks."""
    markup = params.get("reply_markup")
    if not (isinstance(markup, dict) and "inline_keyboard" in markup):
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise bad_request("BUTTON_TEXT_EMPTY" if "text" in button else "text of a button is required")
    return markup if markup["inline_keyboard"] else None


def rendered_caption(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    caption, entities = render_text(params.get("caption"), params.get("parse_mode"), params.get("caption_entities"))
    if telegram_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption, entities


def new_bot_message(tg: TelegramEmulator, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """Common part of every send*: thread, reply, inline keyboard; also clears the chat's drafts."""
    reply_to = reply_target(tg, chat_id, params)
    message = tg.store.bot_message(chat_id, params.get("message_thread_id"), reply_to)
    if markup := inline_markup(params):
        message["reply_markup"] = markup
    tg.clear_drafts(chat_id)
    return message


@api_method("sendMessage")
async def send_message(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    p = call.params
    chat_id = chat_id_of(tg, p)
    text, entities = render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if telegram_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    message = new_bot_message(tg, chat_id, p)
    message["text"] = text
    if entities:
        message["entities"] = entities
    if isinstance(p.get("link_preview_options"), dict):
        message["link_preview_options"] = p["link_preview_options"]
    tg.store.put(message)
    return message


def bot_message_to_edit(tg: TelegramEmulator, p: dict[str, Any]) -> dict[str, Any]:
    """The stored message an edit names, refused as Telegram does when it is missing or not the bot's."""
    message_id = p.get("message_id")
    current = tg.store.get(chat_id_of(tg, p), message_id) if isinstance(message_id, int) else None
    if current is None:
        raise bad_request("message to edit not found")
    if current.get("from", {}).get("id") != tg.bot_id:
        raise bad_request("message can't be edited")
    return current


@api_method("editMessageText")
async def edit_message_text(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any] | bool:
    p = call.params
    if p.get("inline_message_id"):
        return True  # inline messages are not tracked
    current = bot_message_to_edit(tg, p)
    if "text" not in current:
        raise bad_request("there is no text in the message to edit")
    text, entities = render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if telegram_len(text) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    markup = inline_markup(p)
    if (text, entities, markup) == (current["text"], current.get("entities", []), current.get("reply_markup")):
        raise bad_request(NOT_MODIFIED)
    current["text"] = text
    current["edit_date"] = int(time.time())
    for key, value in (("entities", entities), ("reply_markup", markup)):
        if value:
            current[key] = value
        else:
            current.pop(key, None)
    return copy.deepcopy(current)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any] | bool:
    """Replace (or, without reply_markup, remove) the inline keyboard of one of the bot's messages."""
    p = call.params
    if p.get("inline_message_id"):
        return True  # inline messages are not tracked
    current = bot_message_to_edit(tg, p)
    markup = inline_markup(p)
    if markup == current.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    if markup:
        current["reply_markup"] = markup
    else:
        current.pop("reply_markup", None)
    current["edit_date"] = int(time.time())
    return copy.deepcopy(current)


@api_method("deleteMessage")
async def delete_message(tg: TelegramEmulator, call: ApiCall) -> bool:
    chat_id = chat_id_of(tg, call.params)
    message_id = call.params.get("message_id")
    if not isinstance(message_id, int) or not tg.store.delete(chat_id, message_id):
        raise bad_request("message to delete not found")
    return True


@api_method("deleteMessages")
async def delete_messages(tg: TelegramEmulator, call: ApiCall) -> bool:
    chat_id = chat_id_of(tg, call.params)
    ids = call.params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message_ids is empty")
    for message_id in ids:
        tg.store.delete(chat_id, message_id)
    return True


@api_method("sendMessageDraft")
async def send_message_draft(tg: TelegramEmulator, call: ApiCall) -> bool:
    """Bot API 9.x streaming preview: private chats only; empty text shows a 'Thinking…' placeholder."""
    p = call.params
    chat_id = chat_id_of(tg, p)
    if tg.store.chat(chat_id)["type"] != "private":
        raise bad_request("TEXTDRAFT_PEER_INVALID")
    draft_id = p.get("draft_id")
    if not isinstance(draft_id, int) or draft_id == 0:
        raise bad_request("draft_id must be non-zero")
    text, entities = render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    if telegram_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    tg.drafts[(chat_id, p.get("message_thread_id"))] = {"draft_id": draft_id, "text": text, "entities": entities}
    return True


@api_method("sendChatAction")
async def send_chat_action(tg: TelegramEmulator, call: ApiCall) -> bool:
    chat_id_of(tg, call.params)
    if call.params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@api_method("getChat")
async def get_chat(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    chat = tg.store.chat(chat_id_of(tg, call.params))
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        False,
    )
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
