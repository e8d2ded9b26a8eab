"""FallbackProvider: several providers behind one provider interface, tried in order, each behind a breaker.

A provider that fails before producing anything gives way to the next one; once output has reached the
caller, an error propagates, since a half-shown answer cannot be swapped for another. After
``failure_threshold`` consecutive failures a provider is left out for ``cooldown`` seconds (``breaker``).

Model routing. The chain is one logical model whose members each use their own configured model:

- a request is for **images** when ``model`` is the image model of the chain (``chain.image_model``) or of
  any member; every member that can draw is then asked with *its own* ``image_model``, and chat-only
  members (``image_model is None``) are never asked;
- a request carrying ``image=ImageData(...)`` is an **edit**: only members with an ``image_edit_model`` are
  asked, each with its own (ai-chats.org cannot edit); it counts against the images breaker;
- anything else (``None`` included) is **chat**: every member is asked with *its own* ``default_model``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal

from .base import AsyncGeneratorProvider, ClosableStream, collect_answer
from .breaker import Breaker, BreakerState, CapabilityStatus
from .content import has_images
from .errors import ProviderError, ProviderResponseError
from .types import ImageResponse, Messages, Usage

logger = logging.getLogger(__name__)

ProviderLike = type[AsyncGeneratorProvider] | AsyncGeneratorProvider
Request = Literal["chat", "draw", "edit"]


@dataclass(frozen=True)
class ProviderStatus:
    """One member's health and counters, for the bot's ``/model`` and ``/stats``.

    The flat fields are its chat capability's (what most members only have); ``images`` is its image
    capability's, with a breaker of its own, or None when it cannot draw. ``kind`` names what sort of
    service it is ("OpenAI-compatible"), which the ``label`` (a host) does not tell.
    """

    label: str
    model: str
    image_model: str | None
    state: BreakerState
    healthy: bool
    failures: int
    retry_in: float | None
    requests: int
    errors: int
    last_error: str | None
    kind: str = ""
    images: CapabilityStatus | None = None

    @property
    def chat(self) -> CapabilityStatus:
        return CapabilityStatus(*(getattr(self, field.name) for field in fields(CapabilityStatus)))


class AllProvidersFailedError(ProviderError):
    """Every member failed or was skipped; ``reason`` names each cause, ``errors`` keeps each error."""

    def __init__(self, failures: Sequence[tuple[str, ProviderError]], *, provider: str) -> None:
        if len(failures) == 1:
            reason = failures[0][1].reason  # one provider: naming it adds nothing
        else:
            reason = "; ".join(_named(label, error.reason) for label, error in failures)
        super().__init__(reason or "no provider could take the request", provider=provider)
        self.failures = list(failures)
        self.errors = [error for _, error in failures]
        self.transient = any(error.transient for error in self.errors)  # would some member answer later?

    def __str__(self) -> str:
        """For logs: each member's full message (reason and detail), in the order they were tried."""
        return "; ".join(_named(label, str(error)) for label, error in self.failures) or self.reason


def _named(label: str, text: str) -> str:
    """Prefix a cause with its provider unless it already says who failed ("the image host ...")."""
    return text if label in text else f"{label}: {text}"


class _Member:
    """A provider with a breaker per capability.

    Chat and images are separate health records: a server may draw badly and chat well (or have no image
    model at all behind a gateway), and its refusals to draw must not take its chat out of the chain.
    """

    def __init__(self, provider: ProviderLike, breaker: Callable[[str], Breaker]) -> None:
        self.provider = provider
        self.label: str = provider.label
        name = provider.__name__ if isinstance(provider, type) else type(provider).__name__
        self.kind: str = provider.kind or name
        self.chat = breaker(self.label)
        # Editing counts as drawing: the same image service behind it, the same breaker.
        self.images = breaker(self.label) if provider.image_model or provider.image_edit_model else None

    def model_for(self, request: Request) -> str | None:
        """Its own model for this kind of request; None when it cannot take one."""
        if request == "chat":
            return self.provider.default_model
        return (self.provider.image_edit_model if request == "edit" else self.provider.image_model) or None

    def breaker(self, request: Request) -> Breaker:
        breaker = self.chat if request == "chat" else self.images
        assert breaker is not None, "only members that draw are asked for images"
        return breaker


class FallbackProvider(AsyncGeneratorProvider):
    """``FallbackProvider([OpenAIConfigured, AiChats])``: the provider interface, on an instance.

    ``default_model`` is the first member's, ``image_model`` the first drawing member's (None when none
    can draw), so code that passes ``provider.default_model``/``provider.image_model`` routes correctly.
    """

    supports_stream: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    kind: ClassVar[str] = "fallback chain"

    def __init__(
        self,
        providers: Sequence[ProviderLike],
        *,
        failure_threshold: int = 3,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not providers:
            raise ValueError("a FallbackProvider needs at least one provider")
        if isinstance(failure_threshold, bool) or not isinstance(failure_threshold, int) or failure_threshold < 1:
            raise ValueError(f"failure_threshold must be a positive int, not {failure_threshold!r}")
        if not cooldown >= 0:
            raise ValueError(f"cooldown must be >= 0 seconds, not {cooldown!r}")
        self.providers = tuple(providers)
        self.failure_threshold = failure_threshold
        self.cooldown = float(cooldown)
        self._clock = clock
        breaker = functools.partial(Breaker, threshold=failure_threshold, cooldown=self.cooldown, clock=clock)
        self._members = [_Member(provider, breaker) for provider in self.providers]
        self._image_models = {p.image_model for p in self.providers if p.image_model}
        self.label = " → ".join(member.label for member in self._members)
        self.default_model = self.providers[0].default_model
        self.image_model = next((p.image_model for p in self.providers if p.image_model), None)
        self.image_edit_model = next((p.image_edit_model for p in self.providers if p.image_edit_model), None)
        self.models = list(dict.fromkeys(model for p in self.providers for model in p.models))
        self.working = any(p.working for p in self.providers)
        self.supports_vision = any(p.supports_vision for p in self.providers)
        self.transcribe_model = next((p.transcribe_model for p in self.providers if p.transcribe_model), None)
        if self.default_model in self._image_models:
            raise ValueError(f"the chat model {self.default_model!r} is also an image model in this chain")

    def __repr__(self) -> str:
        return f"FallbackProvider([{', '.join(m.label for m in self._members)}])"

    def is_image_request(self, model: str | None) -> bool:
        """Whether ``model`` asks for images (see the module docstring for the routing rule)."""
        return model is not None and model in self._image_models

    async def create_async_generator(  # type: ignore[override]  # an instance method; model may be None
        self, model: str | None, messages: Messages, proxy: str | None = None, **kwargs: Any
    ) -> AsyncIterator[str | ImageResponse | Usage]:
        """Stream the first member's answer that starts; fall back only while nothing was yielded.

        Raises ``ValueError`` for empty ``messages``, the member's own ``ProviderError`` if it fails after
        output started, and ``AllProvidersFailedError`` when no member produced anything.
        """
        if not messages:
            raise ValueError("messages must not be empty")
        editing, drawing = kwargs.get("image") is not None, self.is_image_request(model)
        request: Request = "edit" if editing else "draw" if drawing else "chat"
        members = [(m, target) for m in self._members if (target := m.model_for(request)) is not None]
        if not members:
            raise ProviderResponseError(f"no configured provider can {request} images", provider=self.label)
        if request == "chat" and has_images(messages[-1:]):  # a question about a picture: only members that see it
            members = [(m, target) for m, target in members if m.provider.supports_vision]
            if not members:
                raise ProviderResponseError("no configured provider can see images", provider=self.label)
        failures: list[tuple[str, ProviderError]] = []
        for member, target in members:
            breaker = member.breaker(request)
            skipped = breaker.admit()
            if skipped is not None:
                failures.append((member.label, skipped))
                continue
            started = False
            try:
                stream = member.provider.create_async_generator(target, messages, proxy=proxy, **kwargs)
                async with aclosing(ClosableStream(stream)) as items:
                    async for item in items:
                        started = True
                        yield item
                if not started:
                    raise ProviderResponseError(f"{member.label} returned an empty answer", provider=member.label)
            except ProviderError as error:
                breaker.failed(error)
                if started:
                    raise
                failures.append((member.label, error))
                logger.warning("%s failed before answering: %s", member.label, error)
            except GeneratorExit:  # the caller stopped reading after output: the member did answer
                breaker.succeeded()
                raise
            except BaseException:  # cancelled, or a caller's bug: neither a success nor a failure
                breaker.trial = False
                raise
            else:
                breaker.succeeded()
                return
        raise AllProvidersFailedError(failures, provider=self.label)

    async def create_async(  # type: ignore[override]  # an instance method; model may be None
        self, model: str | None, messages: Messages, **kwargs: Any
    ) -> str:
        """The whole answer as one string, or for an image the first image's data URI."""
        return await collect_answer(self.create_async_generator(model, messages, **kwargs), label=self.label)

    async def transcribe(  # type: ignore[override]  # an instance method, as the chain is an instance
        self, audio: bytes, *, filename: str, mime: str, **kwargs: Any
    ) -> str:
        """The text of ``audio`` from the first member with a ``transcribe_model`` that answers.

        Raises ``NotImplementedError`` when no member can transcribe, else ``AllProvidersFailedError``.
        """
        members = [m for m in self._members if m.provider.transcribe_model]
        if not members:
            raise NotImplementedError("no provider in the chain can transcribe audio")
        failures: list[tuple[str, ProviderError]] = []
        for member in members:
            try:
                return await member.provider.transcribe(audio, filename=filename, mime=mime, **kwargs)
            except ProviderError as error:
                logger.warning("%s could not transcribe: %s", member.label, error)
                failures.append((member.label, error))
        raise AllProvidersFailedError(failures, provider=self.label)

    def status(self) -> list[ProviderStatus]:
        """Each member's breaker states and counters, in chain order."""
        now = self._clock()
        return [
            ProviderStatus(
                m.label,
                m.provider.default_model,
                m.provider.image_model,
                **asdict(m.chat.status(now)),
                kind=m.kind,
                images=m.images.status(now) if m.images is not None else None,
            )
            for m in self._members
        ]
