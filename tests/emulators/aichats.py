"""Local stand-in for ai-chats.org: SSE chat answers, image URLs, and the ways the real site fails."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import web

from ..helpers import png_bytes
from ._server import LocalServer, abort_connection

Mode = Literal[
    "ok",
    "http_500",  # status from `status`, plain-text body
    "non_json",  # 200 text/html (a Cloudflare-like page) instead of JSON/SSE
    "truncated",  # some SSE events, then the connection is cut
    "slow_endless",  # an event every `endless_interval` s until the client goes away
    "empty",  # only `data: [DONE]`
    "reset",  # connection closed before any response
    "image_404",  # image request OK, but its URL answers 404
    "image_not_image",  # its URL serves b"hello" (with the image content type)
    "no_data",  # image request answers {"data": []}
]
HTML_PAGE = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking</body></html>"
CHAT_PATH = "/chat/send2/"


@dataclass
class AiRequest:
    """One HTTP request as received; ``json``/``prompt``/``type`` are None when not applicable."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    prompt: str | None
    type: str | None
    at: float


def default_responder(prompt: str) -> str:
    """``Echo: <last line>``; for a flattened history ("User: …\\nAssistant:") the last user turn."""
    text = prompt.rstrip()
    if text.endswith("Assistant:"):
        lines = text[: -len("Assistant:")].rstrip().split("\n")
        starts = [i for i, line in enumerate(lines) if line.startswith("User:")]
        if starts:
            return "Echo: " + "\n".join(lines[starts[-1] :])[len("User:") :].strip()
    lines = [line for line in text.split("\n") if line.strip()]
    return f"Echo: {lines[-1].strip() if lines else ''}"


def sse_event(piece: str) -> bytes:
    """One SSE event; a piece with newlines becomes several ``data:`` lines (the client rejoins with \\n)."""
    return ("".join(f"data: {line}\n" for line in re.split(r"\r\n|\r|\n", piece)) + "\n").encode()


class AiChatsEmulator(LocalServer):
    """``async with AiChatsEmulator() as ai:`` then point the provider at ``ai.base_url``."""

    def __init__(self, *, chunk_size: int = 8, chunk_delay: float = 0.0, first_chunk_delay: float = 0.0) -> None:
        super().__init__()
        self.requests: list[AiRequest] = []
        self.chat_prompts: list[str] = []
        self.image_prompts: list[str] = []
        self.hits: Counter[str] = Counter()
        self.answers: list[str] = []  # consumed in order before falling back to `responder`
        self.responder: Callable[[str], str] = default_responder
        self.mode: Mode = "ok"
        self.status = 500
        self.chunk_size = chunk_size
        self.chunk_delay = chunk_delay
        self.first_chunk_delay = first_chunk_delay  # a model's latency: headers at once, first text this late
        self.endless_interval = 0.5
        self.send_done = True  # end a normal stream with `data: [DONE]`
        self.image_bytes = png_bytes(64, 48)
        self.image_content_type = "image/png"
        self.image_url: str | None = None  # overrides the URL returned for image requests
        self.closing = False
        self._faults: deque[Mode] = deque()
        self._images: dict[str, tuple[int, bytes, str]] = {}
        self.app.middlewares.append(self._record)
        self.app.router.add_post(CHAT_PATH, self._send)
        self.app.router.add_get("/images/{name}", self._image_file)

    def fail_next(self, mode: Mode, times: int = 1) -> None:
        """Use ``mode`` for the next ``times`` POSTs to /chat/send2/ (chat or image), then ``ai.mode`` again."""
        self._faults.extend([mode] * times)

    async def on_close(self) -> None:
        self.closing = True

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        body = await request.read()
        parsed: Any = None
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        prompt, kind = _prompt_and_type(parsed)
        self.hits[request.path] += 1
        self.requests.append(
            AiRequest(request.method, request.path, dict(request.headers), body, parsed, prompt, kind, time.monotonic())
        )
        if request.path == CHAT_PATH and prompt is not None:
            (self.image_prompts if kind == "image" else self.chat_prompts).append(prompt)
        response: web.StreamResponse = await handler(request)
        return response

    async def _send(self, request: web.Request) -> web.StreamResponse:
        mode: Mode = self._faults.popleft() if self._faults else self.mode
        if mode == "reset":
            return abort_connection(request)
        if mode == "http_500":
            reason = HTTPStatus(self.status).phrase if self.status in HTTPStatus._value2member_map_ else "Error"
            return web.Response(status=self.status, text=f"{self.status} {reason}")
        record = self.requests[-1]
        problem = _validate(record.json)
        if problem:
            return web.json_response({"error": problem}, status=400)
        if mode == "non_json":
            return web.Response(text=HTML_PAGE, content_type="text/html")
        assert record.prompt is not None
        if record.type == "image":
            return self._image_reply(mode)
        return await self._stream_chat(request, mode, record.prompt)

    async def _stream_chat(self, request: web.Request, mode: Mode, prompt: str) -> web.StreamResponse:
        answer = self.answers.pop(0) if self.answers else self.responder(prompt)
        size = max(1, self.chunk_size)
        pieces = [answer[i : i + size] for i in range(0, len(answer), size)]
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        try:
            if mode == "empty":
                await resp.write(b"data: [DONE]\n\n")
            elif mode == "slow_endless":
                n = 0
                while not self.closing:  # until the client disconnects (handler gets cancelled)
                    await resp.write(sse_event(pieces[n % len(pieces)] if pieces else "."))
                    n += 1
                    await asyncio.sleep(self.endless_interval)
                return abort_connection(request)
            elif mode == "truncated":
                for i, piece in enumerate(pieces[: max(1, len(pieces) // 2)]):
                    if i and self.chunk_delay > 0:
                        await asyncio.sleep(self.chunk_delay)
                    await resp.write(sse_event(piece))
                await asyncio.sleep(0.05)  # let the events reach the client before the cut
                return abort_connection(request)
            else:
                if self.first_chunk_delay > 0:
                    await asyncio.sleep(self.first_chunk_delay)
                for i, piece in enumerate(pieces):
                    if i and self.chunk_delay > 0:
                        await asyncio.sleep(self.chunk_delay)
                    await resp.write(sse_event(piece))
                if self.send_done:
                    await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
        except ConnectionResetError:
            pass  # the client went away mid-stream
        return resp

    def _image_reply(self, mode: Mode) -> web.Response:
        if mode == "no_data":
            return web.json_response({"data": []})
        name = f"{len(self._images) + 1}.png"
        data = b"hello" if mode == "image_not_image" else self.image_bytes
        self._images[name] = (404 if mode == "image_404" else 200, data, self.image_content_type)
        url = self.image_url if self.image_url is not None else f"{self.base_url}/images/{name}"
        return web.json_response({"data": [{"url": url}]})

    async def _image_file(self, request: web.Request) -> web.Response:
        status, data, content_type = self._images.get(request.match_info["name"], (404, b"", ""))
        if status != 200:
            return web.Response(status=status, text="Not Found")
        return web.Response(body=data, headers={"Content-Type": content_type})


def _prompt_and_type(payload: Any) -> tuple[str | None, str | None]:
    if not isinstance(payload, dict):
        return None, None
    kind = payload.get("type") if isinstance(payload.get("type"), str) else None
    history = payload.get("messagesHistory")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        content = history[-1].get("content")
        return (content if isinstance(content, str) else None), kind
    return None, kind


def _validate(payload: Any) -> str | None:
    """Refuse request shapes the real site would not understand, so provider drift fails loudly."""
    if not isinstance(payload, dict):
        return "body must be a JSON object"
    if payload.get("type") not in ("chat", "image"):
        return 'type must be "chat" or "image"'
    history = payload.get("messagesHistory")
    if not isinstance(history, list) or not history:
        return "messagesHistory must be a non-empty list"
    for item in history:
        if not isinstance(item, dict) or item.get("from") != "you" or not isinstance(item.get("content"), str):
            return 'each messagesHistory item must be {"from": "you", "content": "<text>"}'
    return None
