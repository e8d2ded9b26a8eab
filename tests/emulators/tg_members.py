"""Chat members and buttons in the Telegram emulator: getChatMember, getChatAdministrators, answerCallbackQuery.

Members are set by tests with ``tg.store.set_member(chat_id, user_id, "administrator")``; anyone else who has
written in the chat is a "member", everyone else has "left", as Telegram answers for users it knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .tg_messages import chat_id_of
from .tg_models import ApiCall, api_method, bad_request

if TYPE_CHECKING:
    from .telegram import TelegramEmulator

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
MAX_CALLBACK_TEXT = 200
# Every right of a ChatMemberAdministrator the Bot API always sends (the optional ones are left out).
ADMIN_RIGHTS = (
    "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
    "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_send_welcome_messages",
)  # fmt: skip
_NOT_BY_DEFAULT = ("can_be_edited", "is_anonymous", "can_promote_members")
ADMIN_DEFAULTS = {right: right not in _NOT_BY_DEFAULT for right in ADMIN_RIGHTS}


def member_object(tg: TelegramEmulator, chat_id: int, user_id: int) -> dict[str, Any]:
    """A ChatMember as the Bot API shapes it for its status (owner, administrator, member or left)."""
    set_member = tg.store.members.get(chat_id, {}).get(user_id)
    user = _user(tg, chat_id, user_id)
    if set_member is None:
        chat = tg.store.chat(chat_id)
        seen = chat["type"] == "private" or user_id == tg.bot_id or any(
            m.get("from", {}).get("id") == user_id for m in tg.store.messages(chat_id)
        )
        return {"status": "member" if seen else "left", "user": user}
    status, extra = set_member
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": bool(extra.get("is_anonymous", False))}
    if status == "administrator":
        return {"status": "administrator", "user": user, **ADMIN_DEFAULTS, **extra}
    return {"status": status, "user": user, **extra}


def _user(tg: TelegramEmulator, chat_id: int, user_id: int) -> dict[str, Any]:
    if user_id == tg.bot_id:
        return dict(tg.bot_user)
    for message in reversed(tg.store.messages(chat_id)):
        if message.get("from", {}).get("id") == user_id:
            return dict(message["from"])
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}


@api_method("getChatMember")
async def get_chat_member(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    chat_id = chat_id_of(tg, call.params)
    user_id = call.params.get("user_id")
    if not isinstance(user_id, int) or user_id <= 0:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return member_object(tg, chat_id, user_id)


@api_method("getChatAdministrators")
async def get_chat_administrators(tg: TelegramEmulator, call: ApiCall) -> list[dict[str, Any]]:
    chat_id = chat_id_of(tg, call.params)
    if tg.store.chat(chat_id)["type"] == "private":
        raise bad_request("there are no administrators in the private chat")
    members = tg.store.members.get(chat_id, {})
    return [
        member_object(tg, chat_id, user_id)
        for user_id, (status, _) in members.items()
        if status in ("creator", "administrator")
    ]


@api_method("answerCallbackQuery")
async def answer_callback_query(tg: TelegramEmulator, call: ApiCall) -> bool:
    """Each query can be answered once; unknown or answered ids get Telegram's "query is too old" error."""
    p = call.params
    query = tg.store.callback_queries.get(str(p.get("callback_query_id", "")))
    if query is None or "answer" in query:
        raise bad_request(QUERY_INVALID)
    text = p.get("text") or ""
    if len(text) > MAX_CALLBACK_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answer"] = {"text": text, "show_alert": bool(p.get("show_alert")), "url": p.get("url")}
    return True
