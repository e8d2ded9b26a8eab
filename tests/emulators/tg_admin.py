"""Bot-level methods of the Telegram emulator: identity, polling, webhook and command menu."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from .tg_models import ApiCall, ApiError, api_method, bad_request

if TYPE_CHECKING:
    from .telegram import TelegramEmulator

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@api_method("getMe")
async def get_me(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    return {
        **tg.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("getUpdates")
async def get_updates(tg: TelegramEmulator, call: ApiCall) -> list[dict[str, Any]]:
    """Offset confirms earlier updates; with ``timeout`` the request waits until an update is pushed.

    A newer getUpdates ends a pending older one with 409, as Telegram does with two bot instances.
    """
    p = call.params
    if tg.webhook["url"]:
        raise ApiError(409, WEBHOOK_CONFLICT)
    if isinstance(p.get("allowed_updates"), list):
        tg.allowed_updates = p["allowed_updates"]
    offset = p.get("offset")
    if isinstance(offset, int) and offset != 0:
        tg.confirm_updates(offset)
    limit = p.get("limit", 100)
    limit = min(max(limit if isinstance(limit, int) else 100, 1), 100)
    timeout = p.get("timeout", 0)
    timeout = max(timeout if isinstance(timeout, int) else 0, 0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    tg.poll_generation += 1
    generation = tg.poll_generation
    tg.changed.wake()  # an older pending poll wakes up and ends with 409
    while True:
        if tg.webhook["url"]:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if tg.poll_generation != generation:
            raise ApiError(409, POLL_CONFLICT)
        batch = tg.deliverable_updates(limit)
        remaining = deadline - loop.time()
        if batch or tg.closing or remaining <= 0:
            return batch
        await tg.changed.wait(remaining)


@api_method("setWebhook")
async def set_webhook(tg: TelegramEmulator, call: ApiCall) -> bool:
    p = call.params
    url = p.get("url") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.get("drop_pending_updates"):
        tg.pending.clear()
    if isinstance(p.get("allowed_updates"), list):
        tg.allowed_updates = p["allowed_updates"]
    tg.webhook = {
        "url": url,
        "secret_token": p.get("secret_token"),
        "max_connections": p.get("max_connections", 40),
    }
    tg.changed.wake()  # a pending getUpdates ends with 409
    return True


@api_method("deleteWebhook")
async def delete_webhook(tg: TelegramEmulator, call: ApiCall) -> bool:
    if call.params.get("drop_pending_updates"):
        tg.pending.clear()
    tg.webhook = {"url": "", "secret_token": None, "max_connections": 40}
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": tg.webhook["url"],
        "has_custom_certificate": False,
        "pending_update_count": len(tg.pending),
    }
    if tg.webhook["url"]:
        info["max_connections"] = tg.webhook["max_connections"]
        if tg.allowed_updates is not None:
            info["allowed_updates"] = tg.allowed_updates
    return info


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code if isinstance(language_code, str) else ""


@api_method("setMyCommands")
async def set_my_commands(tg: TelegramEmulator, call: ApiCall) -> bool:
    commands = call.params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND_RE.fullmatch(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = commands_key(call.params.get("scope"), call.params.get("language_code"))
    tg.command_sets[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    return True


@api_method("getMyCommands")
async def get_my_commands(tg: TelegramEmulator, call: ApiCall) -> list[dict[str, Any]]:
    return tg.command_sets.get(commands_key(call.params.get("scope"), call.params.get("language_code")), [])


@api_method("deleteMyCommands")
async def delete_my_commands(tg: TelegramEmulator, call: ApiCall) -> bool:
    tg.command_sets.pop(commands_key(call.params.get("scope"), call.params.get("language_code")), None)
    return True


@api_method("close")
async def close(tg: TelegramEmulator, call: ApiCall) -> bool:
    return True


@api_method("logOut")
async def log_out(tg: TelegramEmulator, call: ApiCall) -> bool:
    return True
