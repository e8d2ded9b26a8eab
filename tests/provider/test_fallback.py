"""FallbackProvider: order, fallback only before output, the circuit breaker, routing, status and errors."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import pytest

from provider import (
    AllProvidersFailedError,
    AsyncGeneratorProvider,
    CapabilityStatus,
    CircuitOpenError,
    FallbackProvider,
    ImageResponse,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderResponseError,
    ProviderStatus,
    ProviderTimeoutError,
)

HI = [{"role": "user", "content": "Hi"}]
IMAGE = ImageResponse(images=["data:image/png;base64,iVBORw0KGgo="], alt="a fox")


class Fake(AsyncGeneratorProvider):
    """A scripted provider instance: each request plays the next outcome (chunks, then maybe an error)."""

    def __init__(self, label: str, *, model: str = "chat-m", image_model: str | None = None) -> None:
        self.label = label
        self.default_model = model
        self.image_model = image_model
        self.models = [model, image_model] if image_model else [model]
        self.working = True
        self.calls: list[str] = []
        self.script: deque[tuple[list[Any], BaseException | None]] = deque()
        self.gate: asyncio.Event | None = None  # when set, requests wait for it before answering

    def will(self, *chunks: Any, error: BaseException | None = None, times: int = 1) -> Fake:
        self.script.extend([(list(chunks), error)] * times)
        return self

    async def create_async_generator(  # type: ignore[override]
        self, model: str, messages: Any, proxy: str | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        self.calls.append(model)
        if self.gate is not None:
            await self.gate.wait()
        chunks, error = self.script.popleft() if self.script else (["ok"], None)
        for item in chunks:
            yield item
        if error is not None:
            raise error


def http(label: str, status: int = 500) -> ProviderHTTPError:
    return ProviderHTTPError(status, f"https://{label}/api", provider=label)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def ask(chain: FallbackProvider, model: str | None = None) -> list[Any]:
    return [item async for item in chain.create_async_generator(model, HI)]


async def ask_error(chain: FallbackProvider, model: str | None = None) -> tuple[list[Any], ProviderError]:
    items: list[Any] = []
    with pytest.raises(ProviderError) as info:
        async for item in chain.create_async_generator(model, HI):
            items.append(item)
    return items, info.value


class TestOrder:
    async def test_first_working_provider_answers_alone(self) -> None:
        a, b = Fake("a.test").will("Hel", "lo"), Fake("b.test")
        chain = FallbackProvider([a, b])
        assert await ask(chain) == ["Hel", "lo"]
        assert (a.calls, b.calls) == (["chat-m"], [])

    async def test_fallback_when_a_provider_fails_before_output(self) -> None:
        a = Fake("a.test").will(error=http("a.test"))
        b = Fake("b.test").will("from b")
        chain = FallbackProvider([a, b])
        assert await chain.create_async(chain.default_model, HI) == "from b"
        assert [s.requests for s in chain.status()] == [1, 1]
        assert [s.errors for s in chain.status()] == [1, 0]

    async def test_a_provider_that_yields_nothing_is_a_failure(self) -> None:
        a, b = Fake("a.test").will(), Fake("b.test").will("b")
        chain = FallbackProvider([a, b])
        assert await ask(chain) == ["b"]
        assert chain.status()[0].last_error == "a.test returned an empty answer"

    async def test_no_fallback_once_output_started(self) -> None:
        cut = ProviderConnectionError("the connection to a.test was interrupted", provider="a.test")
        a, b = Fake("a.test").will("Hel", error=cut), Fake("b.test")
        chain = FallbackProvider([a, b])
        items, err = await ask_error(chain)
        assert items == ["Hel"] and err is cut
        assert b.calls == [] and chain.status()[0].errors == 1

    async def test_other_exceptions_are_not_failover_material(self) -> None:
        a, b = Fake("a.test").will(error=TypeError("bug")), Fake("b.test")
        chain = FallbackProvider([a, b])
        with pytest.raises(TypeError):
            await ask(chain)
        assert b.calls == [] and chain.status()[0].failures == 0
        with pytest.raises(ValueError):
            await chain.create_async(None, [])

    async def test_classes_and_instances_mix(self) -> None:
        class Static(AsyncGeneratorProvider):
            label = "static.test"
            default_model = "s"

            @classmethod
            async def create_async_generator(cls, model: str, messages: Any, proxy: Any = None, **kw: Any) -> Any:
                yield f"{model}:{kw['session']}"

        chain = FallbackProvider([Static, Fake("b.test")])
        assert [i async for i in chain.create_async_generator(None, HI, session="S")] == ["s:S"]


class TestAllFailed:
    async def test_the_reason_names_every_cause_and_keeps_the_errors(self) -> None:
        refused = "api.openai.com refused the API key (HTTP 401)"
        auth = ProviderAuthError(
            401, "https://x/v1", provider="api.openai.com", reason=refused, detail="HTTP 401 from …"
        )
        a = Fake("ai-chats.org").will(error=http("ai-chats.org"))
        b = Fake("api.openai.com").will(error=auth)
        c = Fake("local").will(error=ProviderResponseError("the generated file is not an image", provider="local"))
        _, err = await ask_error(FallbackProvider([a, b, c]))
        assert isinstance(err, AllProvidersFailedError)
        assert err.reason == (
            "ai-chats.org returned HTTP 500; api.openai.com refused the API key (HTTP 401); "
            "local: the generated file is not an image"
        )
        assert err.errors[1] is auth and type(err.errors[0]) is ProviderHTTPError
        assert "HTTP 401 from …" in str(err) and err.provider == "ai-chats.org → api.openai.com → local"

    async def test_a_single_provider_keeps_its_own_reason(self) -> None:
        only = Fake("local").will(error=ProviderResponseError("the image is larger than 20 MB", provider="local"))
        _, err = await ask_error(FallbackProvider([only]))
        assert isinstance(err, AllProvidersFailedError)
        assert err.reason == "the image is larger than 20 MB"


class TestBreaker:
    async def test_opens_after_three_failures_and_costs_nothing_while_open(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=3)
        b = Fake("b.test")
        chain = FallbackProvider([a, b], clock=clock)
        for _ in range(3):
            assert await ask(chain) == ["ok"]
        assert len(a.calls) == 3 and chain.status()[0].state == "open"
        for _ in range(5):
            clock.now += 11
            assert await ask(chain) == ["ok"]
        assert len(a.calls) == 3 and len(b.calls) == 8
        status = chain.status()[0]
        assert (status.healthy, status.failures, status.requests, status.errors) == (False, 3, 3, 3)
        assert status.retry_in == pytest.approx(5.0) and status.last_error == "a.test returned HTTP 500"

    @pytest.mark.parametrize("status", [400, 401, 404, 413])
    async def test_refused_requests_do_not_trip_it(self, status: int) -> None:
        """A 4xx says the service is up but refuses this request: fail over, but keep asking it."""
        a = Fake("a.test").will(error=http("a.test", status), times=5)
        chain = FallbackProvider([a, Fake("b.test")])
        for _ in range(5):
            assert await ask(chain) == ["ok"]
        assert len(a.calls) == 5
        state = chain.status()[0]
        assert (state.state, state.healthy, state.failures, state.errors) == ("closed", True, 0, 5)
        assert state.last_error == f"a.test returned HTTP {status}"

    @pytest.mark.parametrize(
        "error",
        [
            ProviderHTTPError(429, "https://a.test/api", provider="a.test"),
            ProviderHTTPError(503, "https://a.test/api", provider="a.test"),
            ProviderTimeoutError("a.test timed out", provider="a.test"),
            ProviderConnectionError("a.test is unreachable", provider="a.test"),
        ],
    )
    async def test_transient_failures_trip_it(self, error: ProviderError) -> None:
        a = Fake("a.test").will(error=error, times=3)
        chain = FallbackProvider([a, Fake("b.test")])
        for _ in range(4):
            assert await ask(chain) == ["ok"]
        assert len(a.calls) == 3 and chain.status()[0].state == "open"

    async def test_chat_and_images_have_separate_breakers(self) -> None:
        """Three failed drawings (a 500 or an image host 404) leave chat in use, and the reverse."""
        clock = Clock()
        a = Fake("a.test", image_model="img").will(error=http("a.test", 500), times=3)
        b = Fake("b.test", image_model="img-b")
        chain = FallbackProvider([a, b], clock=clock)
        for _ in range(3):
            assert await ask(chain, "img") == ["ok"]
        assert await ask(chain, "img") == ["ok"] and a.calls == ["img"] * 3  # images: skipped now
        assert await ask(chain) == ["ok"] and a.calls == ["img"] * 3 + ["chat-m"]  # chat: still asked
        status = chain.status()[0]
        assert (status.state, status.healthy, status.requests, status.errors) == ("closed", True, 1, 0)
        assert status.images is not None
        assert (status.images.state, status.images.failures, status.images.requests) == ("open", 3, 3)
        assert status.images.last_error == "a.test returned HTTP 500"
        image_host_404 = ProviderHTTPError(404, "https://img.test/x.png", provider="a.test")
        a.will(error=image_host_404, times=3)
        for _ in range(3):
            await ask(chain)
        assert chain.status()[0].state == "closed" and chain.status()[0].errors == 3

    async def test_a_refused_trial_keeps_the_breaker_for_the_next_trial(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=3).will(error=http("a.test", 400)).will("back")
        chain = FallbackProvider([a, Fake("b.test")], clock=clock, cooldown=60)
        for _ in range(3):
            await ask(chain)
        clock.now += 60
        await ask(chain)  # the trial is refused: neither well nor unwell
        assert chain.status()[0].state == "half-open"
        assert await ask(chain) == ["back"] and chain.status()[0].state == "closed"

    async def test_half_open_trial_success_closes_it(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=3).will("back")
        chain = FallbackProvider([a, Fake("b.test")], clock=clock, cooldown=60)
        for _ in range(3):
            await ask(chain)
        clock.now += 60
        assert chain.status()[0].state == "half-open" and chain.status()[0].retry_in == 0
        assert await ask(chain) == ["back"]
        assert len(a.calls) == 4
        status = chain.status()[0]
        assert (status.state, status.healthy, status.failures, status.retry_in) == ("closed", True, 0, None)

    async def test_failed_trial_reopens_for_a_full_cooldown(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=4)
        chain = FallbackProvider([a, Fake("b.test")], clock=clock, failure_threshold=3, cooldown=60)
        for _ in range(3):
            await ask(chain)
        clock.now += 61
        await ask(chain)  # the trial fails
        clock.now += 59
        await ask(chain)
        assert len(a.calls) == 4 and chain.status()[0].state == "open"

    async def test_only_one_trial_at_a_time(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=3).will("trial answer")
        b = Fake("b.test")
        chain = FallbackProvider([a, b], clock=clock)
        for _ in range(3):
            await ask(chain)
        clock.now += 60
        a.gate = asyncio.Event()
        trial = asyncio.create_task(ask(chain))
        await asyncio.sleep(0)
        assert await ask(chain) == ["ok"]  # skipped while the trial is under way
        a.gate.set()
        assert await trial == ["trial answer"]
        assert len(a.calls) == 4

    async def test_a_cancelled_trial_frees_the_slot(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=3)
        chain = FallbackProvider([a, Fake("b.test")], clock=clock)
        for _ in range(3):
            await ask(chain)
        clock.now += 60
        a.gate = asyncio.Event()
        trial = asyncio.create_task(ask(chain))
        await asyncio.sleep(0)
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        a.gate = None
        assert await ask(chain) == ["ok"] and len(a.calls) == 5  # a new trial was allowed

    async def test_all_open_fails_fast_with_the_skips_named(self) -> None:
        clock = Clock()
        a = Fake("a.test").will(error=http("a.test"), times=9)
        chain = FallbackProvider([a], clock=clock, failure_threshold=2, cooldown=30)
        for _ in range(2):
            await ask_error(chain)
        _, err = await ask_error(chain)
        assert isinstance(err, AllProvidersFailedError) and isinstance(err.errors[0], CircuitOpenError)
        assert err.reason == "a.test is skipped for 30 s after 2 failures"
        assert len(a.calls) == 2

    async def test_success_resets_the_count(self) -> None:
        a = Fake("a.test").will(error=http("a.test"), times=2).will("x").will(error=http("a.test"), times=2)
        chain = FallbackProvider([a, Fake("b.test")])
        for _ in range(5):
            await ask(chain)
        assert chain.status()[0].state == "closed" and chain.status()[0].failures == 2

    async def test_a_caller_that_stops_after_output_counts_as_success(self) -> None:
        clock = Clock()
        a = Fake("a.test", image_model="img").will(error=http("a.test"), times=3).will(IMAGE, "never read")
        chain = FallbackProvider([a], clock=clock)
        for _ in range(3):
            await ask_error(chain, "img")
        clock.now += 60
        assert await chain.create_async("img", HI) == IMAGE.images[0]
        assert chain.status()[0].state == "closed"


class TestRouting:
    async def test_each_member_uses_its_own_models(self) -> None:
        a = Fake("a.test", model="gpt-4o-mini", image_model="dall-e-3").will(error=http("a.test"), times=2)
        b = Fake("b.test", model="gpt-4", image_model="dalle").will("chat").will(IMAGE)
        chain = FallbackProvider([a, b])
        assert (chain.default_model, chain.image_model) == ("gpt-4o-mini", "dall-e-3")
        assert chain.models == ["gpt-4o-mini", "dall-e-3", "gpt-4", "dalle"]
        assert await ask(chain, "anything") == ["chat"]
        assert await ask(chain, chain.image_model) == [IMAGE]
        assert (a.calls, b.calls) == (["gpt-4o-mini", "dall-e-3"], ["gpt-4", "dalle"])

    async def test_a_chat_only_member_is_never_asked_for_images(self) -> None:
        chat_only = Fake("ollama", model="llama3.2")
        drawer = Fake("b.test", image_model="dalle").will(error=http("b.test"))
        chain = FallbackProvider([chat_only, drawer])
        assert chain.image_model == "dalle"
        _, err = await ask_error(chain, "dalle")
        assert err.reason == "b.test returned HTTP 500" and chat_only.calls == []
        assert chain.status()[0].requests == 0

    async def test_a_chain_that_cannot_draw(self) -> None:
        chain = FallbackProvider([Fake("ollama", model="llama3.2")])
        assert chain.image_model is None and not chain.is_image_request(None)
        assert await ask(chain, "dall-e-3") == ["ok"]  # not an image model here: just chat


class TestInterface:
    def test_attributes_and_status(self) -> None:
        a, b = Fake("a.test", image_model="img"), Fake("b.test")
        chain = FallbackProvider([a, b])
        assert isinstance(chain, AsyncGeneratorProvider) and chain.working and chain.supports_stream
        assert chain.label == "a.test → b.test" and repr(chain) == "FallbackProvider([a.test, b.test])"
        assert chain.providers == (a, b)
        assert chain.status()[0] == ProviderStatus(
            label="a.test", model="chat-m", image_model="img", state="closed", healthy=True,
            failures=0, retry_in=None, requests=0, errors=0, last_error=None, kind="Fake",
            images=CapabilityStatus("closed", True, 0, None, 0, 0, None),
        )  # fmt: skip
        assert chain.status()[1].images is None  # b cannot draw

    @pytest.mark.parametrize(
        "kwargs", [{"failure_threshold": 0}, {"failure_threshold": True}, {"cooldown": -1}, {"cooldown": float("nan")}]
    )
    def test_bad_settings(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            FallbackProvider([Fake("a.test")], **kwargs)

    def test_needs_a_provider_and_an_unambiguous_chat_model(self) -> None:
        with pytest.raises(ValueError):
            FallbackProvider([])
        with pytest.raises(ValueError):
            FallbackProvider([Fake("a.test", model="dalle"), Fake("b.test", image_model="dalle")])

    async def test_chains_do_not_share_state(self) -> None:
        a = Fake("a.test").will(error=http("a.test"))
        one, two = FallbackProvider([a]), FallbackProvider([a])
        await ask_error(one)
        assert one.status()[0].failures == 1 and two.status()[0].failures == 0
