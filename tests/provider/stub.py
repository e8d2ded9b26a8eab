"""A scripted HTTP server on 127.0.0.1 for the provider tests: the one fake-HTTP approach they use.

Each route answers with the replies queued for it, in order, and records every request as received, so
tests see the exact bytes and headers that went over a real socket. A request nobody scripted gets its
connection closed, so an unexpected request fails loudly (as a connection error).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict

from provider import AiChats
from tests.emulators._server import LocalServer, abort_connection


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the headers are sent (a slow server)
    reset: bool = False  # close the connection instead of answering
    chunked: bool = False  # send the body with chunked encoding: no Content-Length
    endless: bool = False  # after the body, zeros until the client goes away (chunked)
    cut: bool = False  # send the body (chunked), then close the connection before its end


@dataclass
class Received:
    method: str
    path: str
    url: str  # as the request line named it: absolute through a proxy
    headers: CIMultiDict[str]  # as received; looked up case-insensitively
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class StubServer(LocalServer):
    """``stub.post("/v1/chat/completions", body=..., content_type=...)`` queues the next reply for a route."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Received] = []
        self._replies: defaultdict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.app.router.add_route("*", "/{tail:.*}", self._answer)

    def url(self, path: str = "") -> str:
        return f"{self.base_url}{path}"

    def add(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        body: str | bytes = b"",
        payload: Any = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        reset: bool = False,
        chunked: bool = False,
        endless: bool = False,
        cut: bool = False,
        times: int = 1,
    ) -> None:
        """Queue a reply: ``body`` (str is UTF-8) or ``payload`` (sent as JSON), with headers and a type."""
        all_headers = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload)
            content_type = content_type or "application/json"
        if content_type:
            all_headers["Content-Type"] = content_type
        data = body.encode() if isinstance(body, str) else body
        reply = Reply(status, data, all_headers, delay, reset, chunked or endless or cut, endless, cut)
        self._replies[(method.upper(), urlsplit(path).path or "/")].extend([reply] * times)

    def post(self, path: str, **options: Any) -> None:
        self.add("POST", path, **options)

    def get(self, path: str, **options: Any) -> None:
        self.add("GET", path, **options)

    def requests_to(self, path: str, method: str = "POST") -> list[Received]:
        wanted = urlsplit(path).path
        return [r for r in self.received if r.path == wanted and r.method == method]

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(request.method, request.path, str(request.raw_path), CIMultiDict(request.headers), body)
        )
        queue = self._replies.get((request.method, request.path))
        if not queue:
            return abort_connection(request)
        reply = queue.popleft()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.reset:
            return abort_connection(request)
        if not reply.chunked:
            return web.Response(status=reply.status, body=reply.body, headers=reply.headers)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(reply.body)
        if reply.cut:
            return abort_connection(request)
        while reply.endless:  # ends when the client disconnects (the handler is cancelled, or the write fails)
            await response.write(bytes(64 * 1024))
        await response.write_eof()
        return response


AICHATS_PATH = "/chat/send2/"


def aichats_at(stub: StubServer) -> type[AiChats]:
    """AiChats as it is (origin, referer, label ai-chats.org) but sending to the stub's ``/chat/send2/``."""
    return AiChats._subclass(api_endpoint=stub.url(AICHATS_PATH))


def sse(*texts: str, eol: str = "\n") -> str:
    """An ai-chats.org answer: one ``data:`` event per text."""
    return "".join(f"data: {text}{eol}{eol}" for text in texts)
