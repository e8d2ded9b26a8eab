"""The provider base class, shaped like g4f's so code written for g4f providers works with ours."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar, Self

from .errors import ProviderResponseError
from .helper import host_label
from .types import ImageResponse, Messages, Usage

logger = logging.getLogger(__name__)


class HostLabel:
    """Class attribute descriptor: a provider's ``label`` is its URL's host, read when asked.

    Computing it on access means a subclass or a changed ``url`` renames the provider in error reasons
    too; a subclass may still assign a plain string to ``label``.
    """

    def __init__(self, *, with_port: bool = False) -> None:
        self.with_port = with_port  # local servers share a host, so their port tells them apart

    def __get__(self, instance: object, owner: type[AsyncGeneratorProvider]) -> str:
        return host_label(owner.url, with_port=self.with_port) if owner.url else owner.__name__


class AsyncGeneratorProvider:
    """Base for providers that stream an answer as text chunks (or yield ``ImageResponse`` objects).

    Subclasses implement ``create_async_generator``; ``create_async`` collects it. Failures are always
    raised as ``ProviderError`` subclasses, never yielded as text, so callers (and a failover chain) can
    tell an answer from an error.
    """

    url: ClassVar[str] = ""
    working: bool = False
    supports_stream: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    label = HostLabel()
    kind: ClassVar[str] = ""  # what sort of service this is, for people ("OpenAI-compatible"); label names the host
    default_model: str = ""
    models: list[str] = []  # noqa: RUF012 - g4f shape: read per class and per chain instance
    image_model: str | None = None
    image_edit_model: str | None = None  # edits an ``image=ImageData(...)`` given with this model; None: cannot
    supports_vision: bool = False  # sees images in content parts; blind providers get "[image]"
    transcribe_model: str | None = None  # a speech-to-text model: then ``transcribe`` works

    @classmethod
    def _subclass(cls, **attributes: Any) -> type[Self]:
        """A same-named subclass with some class attributes replaced: how a provider is aimed elsewhere."""
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
        return type(cls.__name__, (cls,), {**namespace, **attributes})

    @classmethod
    def create_async_generator(
        cls, model: str, messages: Messages, proxy: str | None = None, **kwargs: Any
    ) -> AsyncIterator[str | ImageResponse | Usage]:
        """Stream the answer: text chunks as they arrive, or ``ImageResponse`` items for image models."""
        raise NotImplementedError(f"{cls.__name__} does not implement create_async_generator")

    @classmethod
    async def transcribe(cls, audio: bytes, *, filename: str, mime: str, **kwargs: Any) -> str:
        """The text spoken in ``audio``; only providers with a ``transcribe_model`` implement it."""
        raise NotImplementedError(f"{cls.__name__} cannot transcribe audio")

    @classmethod
    async def create_async(cls, model: str, messages: Messages, **kwargs: Any) -> str:
        """The whole answer as one string: the joined text, or for an image the first image's data URI."""
        return await collect_answer(cls.create_async_generator(model, messages, **kwargs), label=cls.label)


async def collect_answer(stream: AsyncIterator[str | ImageResponse | Usage], *, label: str) -> str:
    """The joined text of ``stream``, or its first image's data URI; closes the stream either way."""
    texts: list[str] = []
    async with aclosing(ClosableStream(stream)) as items:
        async for item in items:
            if isinstance(item, ImageResponse):
                if not item.images:
                    raise ProviderResponseError(f"{label} returned no image", provider=label)
                return item.images[0]
            if isinstance(item, str):
                texts.append(item)
    text = "".join(texts)
    if not text:
        raise ProviderResponseError(f"{label} returned an empty answer", provider=label)
    return text


class ClosableStream:
    """Give any async iterator an ``aclose`` so an early ``return`` still closes the request behind it."""

    def __init__(self, stream: AsyncIterator[str | ImageResponse | Usage]) -> None:
        self._stream = stream

    def __aiter__(self) -> AsyncIterator[str | ImageResponse | Usage]:
        return self._stream

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()
