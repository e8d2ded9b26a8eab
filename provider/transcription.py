"""Speech to text through OpenAI's ``POST /audio/transcriptions`` (multipart), as OpenAI, Groq, LiteLLM and
local Whisper servers (faster-whisper-server, whisper.cpp's server, LocalAI) serve it.

The audio goes up as the ``file`` part with ``model`` beside it; the answer is ``{"text": "..."}``.
Failures are the same ``ProviderError`` subclasses as chat; the API key only reaches the header.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from .errors import ProviderResponseError
from .helper import safe_url
from .http import checked_post, decode_json, read_capped, session_scope, translate_errors

logger = logging.getLogger(__name__)

_ANSWER_BYTES = 1024 * 1024  # a transcript of the longest audio Telegram lets a bot download fits easily


async def transcribe(
    endpoint: str,
    audio: bytes,
    *,
    model: str,
    filename: str,
    mime: str,
    language: str | None,
    label: str,
    session: aiohttp.ClientSession | None,
    post_options: dict[str, Any],
) -> str:
    """The text of ``audio`` (stripped; may be empty when nothing was said). Raises ``ProviderError``.

    ``post_options`` are ``checked_post``'s: headers (no content-type: aiohttp writes the multipart one),
    proxy, timeout and how to read an error body.
    """
    form = aiohttp.FormData()
    form.add_field("model", model)
    form.add_field("response_format", "json")
    if language:
        form.add_field("language", language)
    form.add_field("file", audio, filename=filename, content_type=mime)
    logger.debug("POST %s (model %r, %d bytes of %s)", safe_url(endpoint), model, len(audio), mime)
    async with (
        session_scope(session) as http,
        checked_post(http, endpoint, subject=label, data=form, **post_options) as response,
    ):
        with translate_errors(label, endpoint, provider=label):
            raw = await read_capped(response, _ANSWER_BYTES)
    if raw is None:
        raise ProviderResponseError(f"{label} sent an oversized transcript", provider=label)
    payload = decode_json(raw, subject=label)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        raise ProviderResponseError(
            f"{label} sent no transcript", provider=label, detail=f"no 'text' in the answer from {safe_url(endpoint)}"
        )
    return text.strip()
