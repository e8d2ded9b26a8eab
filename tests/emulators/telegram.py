"""A local Bot API server so the real bot (aiogram) can be tested end to end without Telegram.

Handlers live in ``tg_messages``/``tg_media``/``tg_admin`` (registered via ``api_method``); this
module does HTTP, call recording, waiting, fault injection and the update queue.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from . import tg_admin, tg_media, tg_members, tg_messages  # noqa: F401  (import registers the methods)
from ._server import Broadcast, LocalServer, abort_connection
from .tg_chats import ChatStore
from .tg_models import (
    DEFAULT_DESCRIPTIONS,
    METHODS,
    ApiCall,
    ApiError,
    Fault,
    UploadedFile,
    decode_params,
    read_request,
)
from .tg_updates import UpdateBuilders

logger = logging.getLogger(__name__)
MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class TelegramEmulator(LocalServer, UpdateBuilders):
    """Bot API on 127.0.0.1 with Telegram-like results, validation and errors.

    ``async with TelegramEmulator(token=...) as tg:`` then give aiogram
    ``AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))``; push updates with
    ``tg.push_update(tg.message_update(...))`` and assert on ``tg.calls`` / ``tg.messages(chat_id)``.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "TestAiBot",
        bot_id: int = 4242,
        bot_first_name: str = "Test AI Bot",
        latency: float = 0.0,
        strict_chats: bool = False,
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.latency = latency  # seconds added before every response
        self.strict_chats = strict_chats  # True: chats never seen in an update are "chat not found"
        self.store = ChatStore(self.bot_user)
        self.calls: list[ApiCall] = []
        self.errors: list[Exception] = []  # emulator crashes (answered as 500); tests may assert it is empty
        self.changed = Broadcast()
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None
        self.poll_generation = 0
        self.closing = False
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None, "max_connections": 40}
        self.command_sets: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.drafts: dict[tuple[int, int | None], dict[str, Any]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._next_update_id = 10_001
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    # ---------------------------------------------------------------- calls
    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109  (the documented API; a deadline, not a cancel scope)
    ) -> list[ApiCall]:
        """Wait until ``count`` calls of ``method`` (matching ``predicate``) were answered; return all matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matched = [c for c in self.calls_of(method) if predicate is None or predicate(c)]
            if len(matched) >= count:
                return matched
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = "\n".join(f"  {c!r}"[:400] for c in self.calls[-60:]) or "  (none)"
                what = f"{count} {method} call(s){' matching the predicate' if predicate else ''}"
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; got {len(matched)}.\n{seen}")
            await self.changed.wait(remaining)

    # --------------------------------------------------------------- faults
    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of running them."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._queue_fault(method, Fault(status, description, retry_after, times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without any response for the next ``times`` calls of ``method``."""
        self._queue_fault(method, Fault(None, times=times))

    def _queue_fault(self, method: str, fault: Fault) -> None:
        if method.lower() not in METHODS:
            raise ValueError(f"unknown Bot API method {method!r}")
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    # -------------------------------------------------------------- updates
    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; sets and returns its ``update_id``."""
        self._absorb(update)
        self.pending.append(copy.deepcopy(update))
        self.changed.wake()
        return int(update["update_id"])

    def push_message(self, text: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Shortcut: ``push_update(message_update(...))``; returns the update (with update_id)."""
        update = self.message_update(text, **kwargs)
        self.push_update(update)
        return update

    def _absorb(self, update: dict[str, Any]) -> None:
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        for key in MESSAGE_KEYS:
            if key in update:
                self.store.register_chat(update[key]["chat"])
                self.store.put(update[key])

    def confirm_updates(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        else:
            self.pending = self.pending[offset:]

    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        """Pending updates of allowed types (others are discarded, as Telegram does)."""

        def allowed(update: dict[str, Any]) -> bool:
            kind = next((k for k in update if k != "update_id"), "")
            return kind in self.allowed_updates if self.allowed_updates else kind not in NOT_BY_DEFAULT

        self.pending = [u for u in self.pending if allowed(u)]
        return copy.deepcopy(self.pending[:limit])

    async def post_update_to(self, url: str, update: dict[str, Any], secret_token: str | None = None) -> int:
        """Deliver ``update`` to a webhook like Telegram; return the HTTP status the bot answered.

        A JSON body with a ``method`` (aiogram's reply-in-webhook) is executed as a Bot API call.
        """
        self._absorb(update)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as resp,
        ):
            body = await resp.read()
            status = resp.status
            is_json = resp.content_type == "application/json"
        if status == 200 and is_json and body:
            reply = json.loads(body)
            if isinstance(reply, dict) and isinstance(reply.get("method"), str):
                params = {k: v for k, v in reply.items() if k != "method"}
                await self._execute(reply["method"], self.token, params, {}, time.monotonic())
        return status

    async def deliver_webhook(self, update: dict[str, Any]) -> int:
        """``post_update_to`` the URL and secret the bot registered with setWebhook."""
        if not self.webhook["url"]:
            raise AssertionError("the bot has not set a webhook")
        return await self.post_update_to(self.webhook["url"], update, self.webhook["secret_token"])

    # ------------------------------------------------------------ state view
    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What the chat shows now: user and bot messages, edits applied, deleted ones gone."""
        return self.store.messages(chat_id)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        found = self.store.get(chat_id, message_id)
        return copy.deepcopy(found) if found is not None else None

    def draft(self, chat_id: int, thread_id: int | None = None) -> dict[str, Any] | None:
        """The draft currently previewed (draft_id, text, entities); gone once the bot sends a message."""
        return self.drafts.get((chat_id, thread_id))

    def clear_drafts(self, chat_id: int) -> None:
        for key in [k for k in self.drafts if k[0] == chat_id]:
            del self.drafts[key]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        return self.command_sets.get(tg_admin.commands_key(scope, language_code), [])

    def file_bytes(self, file_id: str) -> bytes:
        return self.store.files[file_id].data

    # ----------------------------------------------------------------- HTTP
    async def on_close(self) -> None:
        self.closing = True
        self.changed.wake()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        try:
            raw, files = await read_request(request)
        except ValueError as e:
            return web.json_response(ApiError(400, f"Bad Request: {e}").body(), status=400)
        token, method = request.match_info["token"], request.match_info["method"]
        outcome = await self._execute(method, token, raw, files, arrived)
        if outcome is None:
            return abort_connection(request)
        status, body = outcome
        return web.json_response(body, status=status)

    async def _execute(
        self, method: str, token: str, raw: dict[str, Any], files: dict[str, UploadedFile], arrived: float
    ) -> tuple[int, dict[str, Any]] | None:
        """Run one call and record it; ``None`` means: drop the connection."""
        entry = METHODS.get(method.lower())
        call = ApiCall(method=entry[0] if entry else method, params=decode_params(raw), files=files, at=arrived)
        fault = self._take_fault(call.method) if entry is not None and token == self.token else None
        if fault is not None and fault.status is None:
            call.status, call.error = None, "connection dropped (injected)"
            self._record(call)
            return None
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found")
            if fault is not None:
                raise fault.error()
            call.result = await entry[1](self, call)
        except ApiError as e:
            error = e
        except Exception as e:  # an emulator bug: answer like a Telegram 500, but keep the evidence
            logger.exception("emulator failed on %s", call.method)
            self.errors.append(e)
            error = ApiError(500, f"Internal Server Error (emulator bug: {e!r})")
        else:
            self._record(call)
            return 200, {"ok": True, "result": call.result}
        call.status, call.error = error.status, error.description
        self._record(call)
        return error.status, error.body()

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.changed.wake()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        stored = self.store.file_by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")
