"""An independent async client for LLM chat and image providers (aiohttp only; no bot code).

Usage::

    from provider import AiChats
    text = await AiChats.create_async("gpt-4", [{"role": "user", "content": "Hi"}])
"""

from .aichats import AiChats
from .base import AsyncGeneratorProvider
from .errors import (
    ImageTooLargeError,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from .helper import format_prompt
from .types import ImageResponse, Messages

__all__ = [
    "AiChats",
    "AsyncGeneratorProvider",
    "ImageResponse",
    "ImageTooLargeError",
    "Messages",
    "ProviderAuthError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderRateLimitError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "format_prompt",
]
