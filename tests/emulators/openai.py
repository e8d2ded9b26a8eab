"""Local stand-in for the OpenAI HTTP API: streamed chat completions, image generations, auth and failures.

Shaped like api.openai.com (and Ollama's /v1): chunks are ``chat.completion.chunk`` objects ending in
``data: [DONE]``, errors are ``{"error": {"message", "type", "param", "code"}}`` with the real statuses.

``flavour="litellm"`` answers as the LiteLLM proxy does in front of it: the role arrives with the first
text, in 3-character chunks; error codes are the HTTP status as a string and ``param`` is ``"None"``; a
429's wait is in ``llm_provider-retry-after``; a wrong key is a 400 (``no_db_connection``), a missing one
a text/plain 500, and a context window overflow a 400 naming ``ContextWindowExceededError``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import BodyPartReader, web

from ..helpers import png_bytes
from ._server import LocalServer, abort_connection
from .aichats import AiRequest

Mode = Literal[
    "ok",
    "error_in_stream",  # 200 event stream whose first event is an error object
    "non_json",  # 200 text/html (a login or proxy page) instead of JSON or SSE
    "empty",  # a role-only chunk, then [DONE]: no text at all
    "truncated",  # half the chunks, then the connection is cut
    "reset",  # connection closed before any response
    "error_mid_stream",  # 200, some chunks, then an error event and no [DONE] (an upstream failing midway)
    "context_window",  # 400: the conversation exceeds the model's context window (in the flavour's words)
    "invalid_model",  # 400: the gateway has no such model (LiteLLM's "Invalid model name")
]
Flavour = Literal["openai", "litellm"]
Fault = Mode | int  # an int answers with that HTTP status and an OpenAI-style error body
CHAT_PATH = "/v1/chat/completions"
IMAGES_PATH = "/v1/images/generations"
EDITS_PATH = "/v1/images/edits"
# What the real API accepts per model (others: any "WxH"); dall-e-3 draws one image per request.
MODEL_SIZES = {
    "dall-e-3": {"1024x1024", "1792x1024", "1024x1792"},
    "dall-e-2": {"256x256", "512x512", "1024x1024"},
    "gpt-image-1": {"1024x1024", "1536x1024", "1024x1536", "auto"},
}
TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
ROLES = {"system", "developer", "user", "assistant", "tool"}
_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass
class OpenAIRequest(AiRequest):
    """One request as received: ``type`` is "chat" or "image" for the two POST routes, ``prompt`` the image
    prompt and ``messages`` the chat history, each None when not applicable.
    """

    messages: list[dict[str, Any]] | None = None
    fields: dict[str, str] | None = None  # an edit's form fields (model, prompt, n, size, ...)
    image: bytes | None = None  # the image file an edit uploaded
    image_type: str | None = None
    form: dict[str, Any] | None = None  # a multipart request's fields: str values, or (filename, type, bytes)


def text_of(content: Any) -> str:
    """A message's text: the string, or its text parts joined (image parts left out)."""
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content or () if isinstance(p, dict) and p.get("type") == "text")


def image_urls(message: dict[str, Any]) -> list[str]:
    """The ``image_url`` URLs of a message's content parts, in order."""
    content = message.get("content")
    if isinstance(content, str):
        return []
    return [p["image_url"]["url"] for p in content or () if isinstance(p, dict) and p.get("type") == "image_url"]


def default_responder(messages: list[dict[str, Any]]) -> str:
    """``Echo: <last user message>`` (its text parts)."""
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    return f"Echo: {users[-1] if users else ''}"


def token_count(messages: list[dict[str, Any]], answer: str) -> dict[str, int]:
    """The emulator's "tokenizer": one token per word (so tests can tell its counts from a chars/4 estimate)."""
    prompt = sum(len(str(m.get("content", "")).split()) + 3 for m in messages)  # +3: each message's framing
    completion = len(answer.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def error_body(status: int, message: str) -> dict[str, Any]:
    kind, code = _ERRORS.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def mask(key: str) -> str:
    """How OpenAI shows a refused key: a few characters at both ends."""
    return f"{key[:3]}{'*' * max(0, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "*" * len(key)


class OpenAIEmulator(LocalServer):
    """``async with OpenAIEmulator(api_key="sk-test") as oa:`` then configure the provider with ``oa.base_url``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        chunk_size: int | None = None,
        chunk_delay: float = 0.0,
        flavour: Flavour = "openai",
    ) -> None:
        super().__init__()
        self.flavour = flavour
        self.api_key = api_key  # the key expected as "Bearer <key>"; None accepts any or none
        self.requests: list[OpenAIRequest] = []
        self.hits: Counter[str] = Counter()
        self.answers: list[str] = []  # consumed in order before falling back to `responder`
        self.responder: Callable[[list[dict[str, Any]]], str] = default_responder
        self.mode: Fault = "ok"
        self.retry_after: str | None = "1"  # Retry-After sent with 429 answers
        self.chunk_size = chunk_size if chunk_size is not None else (3 if flavour == "litellm" else 8)
        self.chunk_delay = chunk_delay
        self.image_bytes = png_bytes(64, 48)
        self.image_mode: Literal["b64_json", "url"] = "b64_json"  # "url" answers with a URL served here
        # Whether a stream ends with a `usage` chunk when the request asks (stream_options.include_usage);
        # False is a server that ignores the option (older Ollama and llama.cpp builds send none).
        self.send_usage = True
        self._faults: deque[Fault] = deque()
        self._files: dict[str, bytes] = {}
        self.transcript = "what is the capital of France"  # what /audio/transcriptions hears
        self.app.middlewares.append(self._record)
        self.app.router.add_post(CHAT_PATH, self._chat)
        self.app.router.add_post(IMAGES_PATH, self._images)
        self.app.router.add_post(EDITS_PATH, self._edits)
        # An image request whose prompt is a key here is answered only once that event is set (a slow model).
        self.held_prompts: dict[str, asyncio.Event] = {}
        self.image_started = asyncio.Event()  # set when an image request arrives
        self.app.router.add_post(TRANSCRIPTIONS_PATH, self._transcriptions)
        self.app.router.add_get("/v1/models", self._models)
        self.app.router.add_get("/files/{name}", self._file)

    @property
    def root_url(self) -> str:
        return super().base_url

    @property
    def base_url(self) -> str:
        """What ``OPENAI_BASE_URL`` would be: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"

    @property
    def chat_messages(self) -> list[list[dict[str, Any]]]:
        return [r.messages for r in self.requests if r.type == "chat" and r.messages is not None]

    @property
    def transcriptions(self) -> list[dict[str, Any]]:
        """The form fields of each transcription request (``file`` as (filename, content type, bytes))."""
        return [r.form for r in self.requests if r.type == "transcription" and r.form is not None]

    def chat_images(self, request: int = -1) -> list[list[str]]:
        """The image URLs of each message of a chat request (default: the last one)."""
        return [image_urls(m) for m in self.chat_messages[request]]

    @property
    def image_prompts(self) -> list[str]:
        return [r.prompt for r in self.requests if r.type == "image" and r.prompt is not None]

    @property
    def edits(self) -> list[OpenAIRequest]:
        return [r for r in self.requests if r.type == "edit"]

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` POSTs (chat or image) with ``fault``, then follow ``mode`` again."""
        self._faults.extend([fault] * times)

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        form = await _read_form(request) if request.content_type == "multipart/form-data" else None
        body = b"" if form is not None else await request.read()
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        messages = parsed.get("messages") if isinstance(parsed, dict) else None
        prompt = parsed.get("prompt") if isinstance(parsed, dict) else None
        self.hits[request.path] += 1
        kind = {CHAT_PATH: "chat", IMAGES_PATH: "image", EDITS_PATH: "edit", TRANSCRIPTIONS_PATH: "transcription"}.get(
            request.path
        )
        self.requests.append(
            OpenAIRequest(
                request.method,
                request.path,
                dict(request.headers),
                body,
                parsed,
                prompt if isinstance(prompt, str) else None,
                kind,
                time.monotonic(),
                messages=messages if isinstance(messages, list) else None,
                form=form,
            )
        )
        if request.method == "POST":
            refusal = self._check_key(request.headers.get("Authorization"))
            if refusal is not None:
                return refusal
        response: web.StreamResponse = await handler(request)
        return response

    def _check_key(self, header: str | None) -> web.Response | None:
        if self.api_key is None or header == f"Bearer {self.api_key}":
            return None
        if self.flavour == "litellm":
            if not header or header.removeprefix("Bearer ").strip() == "":
                # What LiteLLM answers when no key came at all: an unhandled exception, as plain text.
                return web.Response(status=500, text="Internal Server Error", content_type="text/plain")
            message = (
                "Authentication Error, No connected db. Set `LITELLM_MASTER_KEY` or connect a database "
                f"to use virtual keys. Received API Key = {header.removeprefix('Bearer ')}"
            )
            body = {"error": {"message": message, "type": "no_db_connection", "param": "None", "code": "400"}}
            return web.json_response(body, status=400)
        if not header:
            message = "You didn't provide an API key. You need to provide your API key in an Authorization header."
        else:
            message = f"Incorrect API key provided: {mask(header.removeprefix('Bearer '))}."
        return web.json_response(error_body(401, message), status=401)

    def _next_fault(self) -> Fault:
        return self._faults.popleft() if self._faults else self.mode

    def _http_error(self, status: int) -> web.Response:
        header = "llm_provider-retry-after" if self.flavour == "litellm" else "Retry-After"
        headers = {header: self.retry_after} if status == 429 and self.retry_after else None
        messages = {429: "Rate limit reached for requests.", 401: "Incorrect API key provided."}
        message = messages.get(status, "The server had an error while processing your request.")
        return web.json_response(self._error(status, message), status=status, headers=headers)

    def _error(self, status: int, message: str) -> dict[str, Any]:
        """An error object as the flavour writes it."""
        if self.flavour == "litellm":
            return {"error": {"message": message, "type": None, "param": "None", "code": str(status)}}
        return error_body(status, message)

    def _refused_model(self, fault: Fault) -> web.Response | None:
        """The 400s a gateway sends for a request it will not run."""
        litellm = self.flavour == "litellm"
        if fault == "context_window":
            if litellm:
                message = (
                    "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: "
                    "OpenAIException - This model's maximum context length is 8192 tokens."
                )
                return web.json_response(self._error(400, message), status=400)
            body = error_body(400, "This model's maximum context length is 8192 tokens. However, your messages "
                              "resulted in 9000 tokens. Please reduce the length of the messages.")
            body["error"]["code"] = "context_length_exceeded"
            return web.json_response(body, status=400)
        if fault == "invalid_model":
            model = self.requests[-1].json.get("model") if isinstance(self.requests[-1].json, dict) else None
            message = (
                f"{{'error': '/chat/completions: Invalid model name passed in model={model}. "
                "Call `/v1/models` to view available models for your key.'}}"
            )
            return web.json_response(self._error(400, message), status=400)
        return None

    def _refusal(
        self, request: web.Request, fault: Fault, validate: Callable[[Any], str | None]
    ) -> web.StreamResponse | None:
        """The answer of a fault or a malformed request, shared by both endpoints; None to go on."""
        if fault == "reset":
            return abort_connection(request)
        if isinstance(fault, int):
            return self._http_error(fault)
        problem = validate(self.requests[-1].json)
        if problem:
            return web.json_response(error_body(400, problem), status=400)
        if fault == "non_json":
            return web.Response(text="<!DOCTYPE html><html><body>Sign in</body></html>", content_type="text/html")
        return self._refused_model(fault)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        fault = self._next_fault()
        if (refusal := self._refusal(request, fault, _validate_chat)) is not None:
            return refusal
        payload = self.requests[-1].json
        answer = self.answers.pop(0) if self.answers else self.responder(payload["messages"])
        if not payload.get("stream"):
            message = {"role": "assistant", "content": answer}
            return web.json_response({**_envelope(payload, "chat.completion"), "choices": [{"message": message}]})
        return await self._stream(request, payload, answer, fault)

    async def _stream(self, request: web.Request, payload: Any, answer: str, fault: Fault) -> web.StreamResponse:
        size = max(1, self.chunk_size)
        pieces = [] if fault == "empty" else [answer[i : i + size] for i in range(0, len(answer), size)]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)

        async def event(data: Any) -> None:
            await response.write(f"data: {json.dumps(data)}\n\n".encode())

        def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return {**_envelope(payload, "chat.completion.chunk"), "choices": [choice]}

        try:
            if fault == "error_in_stream":
                await event(error_body(500, "The server had an error while processing your request."))
                await response.write_eof()
                return response
            if self.flavour != "litellm" or not pieces:
                await event(chunk({"role": "assistant", "content": ""}))
            for i, piece in enumerate(pieces):
                if fault in ("truncated", "error_mid_stream") and i >= max(1, len(pieces) // 2):
                    await asyncio.sleep(0.05)  # let the sent chunks reach the client before the cut
                    if fault == "truncated":
                        return abort_connection(request)
                    await event(self._error(500, "litellm.APIConnectionError: upstream connection lost"))
                    await response.write_eof()  # no [DONE]: the stream just ends
                    return response
                if i and self.chunk_delay > 0:
                    await asyncio.sleep(self.chunk_delay)
                delta = {"role": "assistant", "content": piece} if i == 0 and self.flavour == "litellm" else None
                await event(chunk(delta or {"content": piece}))
            await event(chunk({}, "stop"))
            if self.send_usage and (payload.get("stream_options") or {}).get("include_usage"):
                usage = token_count(payload["messages"], answer)
                await event({**_envelope(payload, "chat.completion.chunk"), "choices": [], "usage": usage})
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away mid-stream
        return response

    async def _images(self, request: web.Request) -> web.StreamResponse:
        self.image_started.set()
        fault = self._next_fault()
        if (refusal := self._refusal(request, fault, _validate_image)) is not None:
            return refusal
        return await self._image_answer(self.requests[-1].json)

    async def _edits(self, request: web.Request) -> web.StreamResponse:
        """``/images/edits``: a multipart form with an ``image`` file part (read by the recorder), field by field."""
        self.image_started.set()
        recorded = self.requests[-1]
        if recorded.form is None:
            return web.json_response(error_body(400, "Invalid multipart form."), status=400)
        fields: dict[str, str] = {}
        for name, value in recorded.form.items():
            if name in ("image", "image[]") and isinstance(value, tuple):
                recorded.image, recorded.image_type = value[2], value[1]
            elif isinstance(value, str):
                fields[name] = value
        recorded.fields = fields
        recorded.prompt = fields.get("prompt")
        fault = self._next_fault()
        payload: dict[str, Any] = {**fields}
        if "n" in fields:
            payload["n"] = int(fields["n"]) if fields["n"].isdigit() else fields["n"]
        if (refusal := self._refusal(request, fault, _validate_edit_fields(recorded))) is not None:
            return refusal
        return await self._image_answer(payload)

    async def _image_answer(self, payload: dict[str, Any]) -> web.Response:
        held = self.held_prompts.get(payload["prompt"])
        if held is not None:
            await held.wait()
        items = []
        for _ in range(payload.get("n", 1)):
            if self.image_mode == "url" or payload.get("response_format") == "url":
                name = f"{len(self._files) + 1}.png"
                self._files[name] = self.image_bytes
                item = {"url": f"{self.root_url}/files/{name}"}
            else:
                item = {"b64_json": base64.b64encode(self.image_bytes).decode("ascii")}
            item["revised_prompt"] = payload["prompt"]
            items.append(item)
        return web.json_response({"created": int(time.time()), "data": items})

    def release(self) -> None:
        """Answer every held image request."""
        for event in self.held_prompts.values():
            event.set()

    async def _transcriptions(self, request: web.Request) -> web.StreamResponse:
        """OpenAI's speech to text: multipart with ``file`` and ``model``; ``{"text": ...}`` back."""
        fault = self._next_fault()
        if (refusal := self._refusal(request, fault, lambda _: None)) is not None:
            return refusal
        form = self.requests[-1].form or {}
        if not isinstance(form.get("model"), str) or not form["model"]:
            return web.json_response(error_body(400, "you must provide a model parameter"), status=400)
        upload = form.get("file")
        if not isinstance(upload, tuple) or not upload[2]:
            return web.json_response(error_body(400, "Could not parse multipart form"), status=400)
        return web.json_response({"text": self.transcript})

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    async def _file(self, request: web.Request) -> web.Response:
        data = self._files.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="image/png")


def _envelope(payload: Any, kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-emulated", "object": kind, "created": int(time.time()), "model": payload["model"]}


async def _read_form(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        if part.filename is not None:
            fields[part.name] = (part.filename, part.headers.get("Content-Type"), bytes(data))
        else:
            fields[part.name] = bytes(data).decode()
    return fields


def _valid_content(content: Any) -> bool:
    """A string, or a list of text / image_url parts (an image's URL a data URI or http(s))."""
    if isinstance(content, str):
        return True
    if not isinstance(content, list) or not content:
        return False
    for part in content:
        if not isinstance(part, dict):
            return False
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            continue
        url = (part.get("image_url") or {}).get("url") if part.get("type") == "image_url" else None
        if not isinstance(url, str) or not url.startswith(("data:image/", "http://", "https://")):
            return False
    return True


def _validate_chat(payload: Any) -> str | None:
    """Refuse what the real API refuses, so a provider that drifts fails loudly."""
    if not isinstance(payload, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "you must provide a model parameter"
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return f"Invalid value for 'messages[{i}].role'"
        if not _valid_content(message.get("content")):
            return f"Invalid type for 'messages[{i}].content': expected a string or an array of content parts"
    if not isinstance(payload.get("stream", False), bool):
        return "Invalid type for 'stream': expected a boolean"
    return None


def _validate_image(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "you must provide a model parameter"
    if not isinstance(payload.get("prompt"), str) or not payload["prompt"].strip():
        return "'prompt' must be a non-empty string"
    return _validate_image_options(payload)


def _validate_image_options(payload: dict[str, Any]) -> str | None:
    """``n``, ``size`` and ``response_format`` as the real API checks them per model."""
    model, n = payload["model"], payload.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        return "Invalid value for 'n': expected an integer between 1 and 10"
    if model.startswith("dall-e-3") and n != 1:
        return "Invalid 'n': dall-e-3 only supports n=1."
    size = payload.get("size")
    allowed = next((sizes for name, sizes in MODEL_SIZES.items() if model.startswith(name)), None)
    if size is not None and allowed is not None and size not in allowed:
        return f"Invalid value: '{size}'. Supported values are: {', '.join(sorted(allowed))}."
    if model.startswith("gpt-image") and "response_format" in payload:
        return "Unknown parameter: 'response_format'."
    if payload.get("response_format", "url") not in ("url", "b64_json"):
        return "Invalid value for 'response_format'"
    return None


def _validate_edit_fields(recorded: OpenAIRequest) -> Callable[[Any], str | None]:
    """Checks of an edit's form (the JSON of a multipart request is None)."""

    def validate(_: Any) -> str | None:
        fields = recorded.fields or {}
        if recorded.image is None:
            return "Missing required parameter: 'image'."
        if not fields.get("model"):
            return "you must provide a model parameter"
        if not fields.get("prompt", "").strip():
            return "'prompt' must be a non-empty string"
        if recorded.image[:8] != b"\x89PNG\r\n\x1a\n" and fields["model"].startswith("dall-e-2"):
            return "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."
        if "n" in fields and not fields["n"].isdigit():
            return "Invalid value for 'n'"
        payload: dict[str, Any] = {**fields, "n": int(fields.get("n", "1"))}
        return _validate_image_options(payload)

    return validate


