"""An independent async client for LLM chat and image providers (aiohttp only; no bot code).

Usage::

    from provider import AiChats, FallbackProvider, OpenAICompatible
    text = await AiChats.create_async("gpt-4", [{"role": "user", "content": "Hi"}])

    chain = FallbackProvider([OpenAICompatible.configure("https://api.openai.com/v1", api_key=key), AiChats])
    text = await chain.create_async(chain.default_model, [{"role": "user", "content": "Hi"}])
"""

from .aichats import AiChats
from .base import AsyncGeneratorProvider
from .breaker import CapabilityStatus, CircuitOpenError
from .errors import (
    ImageTooLargeError,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderContextLengthError,
    ProviderError,
    ProviderHTTPError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from .fallback import AllProvidersFailedError, FallbackProvider, ProviderStatus
from .helper import format_prompt
from .openai import OpenAICompatible
from .types import ImageData, ImageResponse, Messages, Usage

__all__ = [
    "AiChats",
    "AllProvidersFailedError",
    "AsyncGeneratorProvider",
    "CapabilityStatus",
    "CircuitOpenError",
    "FallbackProvider",
    "ImageData",
    "ImageResponse",
    "ImageTooLargeError",
    "Messages",
    "OpenAICompatible",
    "ProviderAuthError",
    "ProviderConnectionError",
    "ProviderContextLengthError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderRateLimitError",
    "ProviderResponseError",
    "ProviderStatus",
    "ProviderTimeoutError",
    "Usage",
    "format_prompt",
]
