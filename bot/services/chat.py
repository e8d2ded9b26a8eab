"""Chat turns: history in, provider stream out, both turns stored only once the answer was delivered.

Which history and what settings (the persona, the model, fitting into HISTORY_CHARS, one retry with half
the history when the model refuses the context as too long, /retry, token usage) live in `_answer` and the
modules it calls (context.py, usage.py); `ask` and `retry` only decide which question and what to store.
A question's images and those of recent turns become content parts in `turns.provider_messages`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any

from cachetools import TTLCache

from provider import AsyncGeneratorProvider, ProviderError, Usage

from ..storage import ChatSettings, ConversationKey, HistoryStore, Turn
from .cancel import Cancellations, TurnCancelled
from .context import fit_history, halve, is_context_error, message_chars
from .inputs import Question, as_question
from .locks import ConversationLocks, KeyedLocks
from .turns import FetchImage, provider_messages
from .usage import UsageService

__all__ = ["ChatService", "Deliver", "NothingToRetry", "Notify", "TurnCancelled"]

logger = logging.getLogger(__name__)

# Consumes the answer's text chunks, shows them to the user and returns the text it delivered.
Deliver = Callable[[AsyncIterator[str]], Awaitable[str]]
Notify = Callable[[], Awaitable[Any]]
FAILED_QUESTION_TTL = 300.0  # seconds a question whose answer failed can still be redone with /retry


class NothingToRetry(Exception):
    """/retry with no answer to redo (or a button under an answer that is no longer the latest)."""


class ChatService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        store: HistoryStore,
        *,
        provider_options: dict[str, Any] | None = None,
        locks: ConversationLocks | None = None,
        slots: asyncio.Semaphore | None = None,
        system_prompt: str | None = None,
        queue_notice_after: float = 0.5,
        cancels: Cancellations | None = None,
        history_chars: int = 24_000,
        models: Sequence[str] = (),
        usage: UsageService | None = None,
        history_images: int = 2,
        images: FetchImage | None = None,
    ) -> None:
        self._queue_notice_after = queue_notice_after
        self._provider = provider
        self._options = provider_options or {}
        self._system_prompt = system_prompt
        self._history_chars = history_chars
        self._models = frozenset(models)  # the models a conversation may pick (OPENAI_MODELS)
        self._usage = usage
        self._history_images = history_images
        # A file id → its data URI (photos of the question and of recent turns); without it, or for a provider
        # that cannot see, images are "[image]".
        self._images = images if provider.supports_vision else None
        # The question of an answer that failed, per conversation, for /retry; in this process only (see README).
        self._failed: TTLCache[ConversationKey, Turn] = TTLCache(maxsize=10_000, ttl=FAILED_QUESTION_TTL)
        self._store = store
        self._locks = locks or KeyedLocks()
        self._slots = slots or asyncio.Semaphore(32)
        self._model = provider.default_model
        self._waiting: Counter[ConversationKey] = Counter()
        self._cancels = cancels or Cancellations()
        self._running: set[ConversationKey] = set()  # conversations whose answer is being delivered

    async def ask(
        self, key: ConversationKey, question: Question | str, deliver: Deliver, *, on_queued: Notify | None = None,
        on_shortened: Notify | None = None, user_id: int | None = None,
    ) -> str:
        """Run one turn of `key`'s conversation; turns of one conversation never interleave.

        Whatever `deliver` or the provider raises propagates and nothing is stored, so a failed,
        cancelled or undelivered answer never enters the history as if the model had said it (the
        question is kept a few minutes for /retry). `on_shortened` is told when older messages had to be
        left out after the model refused the conversation as too long; `user_id`'s tokens are counted.
        """
        given = as_question(question)
        asked = Turn("user", given.text, given.images)
        async with self._turn(key, on_queued):
            history = await self._store.get(key)
            answer = await self._answer_or_keep(key, history, asked, deliver, on_shortened, user_id)
            await self._store.append(key, [asked, Turn("assistant", answer)])
        logger.info("chat=%s thread=%s: answered (%d history turns, %d chars)",
                    key.chat_id, key.thread_id, len(history), len(answer))
        return answer

    async def retry(
        self, key: ConversationKey, deliver: Deliver, *, answered: Callable[[str], bool] | None = None,
        on_queued: Notify | None = None, on_shortened: Notify | None = None, user_id: int | None = None,
    ) -> str:
        """Answer the conversation's last question again: one whose answer failed a moment ago, or else the
        last stored one, whose answer the new one replaces. With `answered` (a button under an answer), only
        if that answer is still the latest: `answered(text of the latest answer)` says so.

        Raises NothingToRetry when there is nothing (or no longer this) to redo.
        """
        async with self._turn(key, on_queued):
            history = await self._store.get(key)
            failed = self._failed.get(key)
            last_answer = history[-1].content if history and history[-1].role == "assistant" else None
            if answered is not None and (failed is not None or last_answer is None or not answered(last_answer)):
                raise NothingToRetry("that answer is not the latest")
            if failed is not None:
                question, replace = failed, 0
            elif len(history) >= 2 and history[-2].role == "user" and last_answer is not None:
                question, replace, history = history[-2], 2, history[:-2]
            else:
                raise NothingToRetry("no question to answer again")
            # A stored exchange whose new answer fails stays stored as it was: nothing to remember.
            answer = await self._answer_or_keep(key, history, question, deliver, on_shortened, user_id,
                                                remember=not replace)
            await self._store.append(key, [question, Turn("assistant", answer)], replace_last=replace)
        logger.info("chat=%s thread=%s: answered again (%s)", key.chat_id, key.thread_id,
                    "a failed question" if failed is not None else "the answer replaced")
        return answer

    async def is_latest_answer(self, key: ConversationKey, answered: Callable[[str], bool]) -> bool:
        """Whether the conversation's latest answer (with no failed question after it) is the one meant."""
        if key in self._failed:
            return False
        history = await self._store.get(key)
        return bool(history) and history[-1].role == "assistant" and answered(history[-1].content)

    async def _answer_or_keep(
        self, key: ConversationKey, history: list[Turn], question: Turn, deliver: Deliver,
        on_shortened: Notify | None, user_id: int | None, *, remember: bool = True,
    ) -> str:
        """`_answer`; a question whose answer failed is remembered for /retry, one answered is forgotten."""
        try:
            answer = await self._answer(key, history, question, deliver, on_shortened, user_id)
        except Exception:
            if remember:
                self._failed[key] = question
            raise
        self._failed.pop(key, None)
        return answer

    # ---- which history and what settings: persona, model, fitting, one shorter retry, usage
    async def _answer(
        self, key: ConversationKey, history: list[Turn], question: Turn, deliver: Deliver,
        on_shortened: Notify | None, user_id: int | None,
    ) -> str:
        chosen = await self._store.get_settings(key.chat_scope)
        system = self._system_messages(chosen)
        options = dict(self._options)
        if chosen.model is not None and chosen.model in self._models:
            options["chat_model"] = chosen.model  # honoured by the OpenAI-compatible member, ignored by others
        room = self._history_chars - sum(len(m["content"]) for m in system) - len(question.content)
        sent = fit_history(history, room)
        try:
            return await self._attempt(key, system, sent, question, deliver, options, user_id)
        except ProviderError as error:
            if not (is_context_error(error) and sent):
                raise
            sent = halve(sent)
            logger.warning("chat=%s thread=%s: context too long for the model; again with %d history turns",
                           key.chat_id, key.thread_id, len(sent))
            if on_shortened is not None:
                await on_shortened()
            return await self._attempt(key, system, sent, question, deliver, options, user_id)

    def _system_messages(self, chosen: ChatSettings) -> list[dict[str, str]]:
        prompt = chosen.persona if chosen.persona is not None else self._system_prompt
        return [{"role": "system", "content": prompt}] if prompt else []

    async def _attempt(
        self, key: ConversationKey, system: list[dict[str, str]], history: list[Turn], question: Turn,
        deliver: Deliver, options: dict[str, Any], user_id: int | None,
    ) -> str:
        turns = await provider_messages(history, question, self._images, history_images=self._history_images)
        messages = [*system, *turns]
        async with aclosing(self._stream(messages, options, user_id)) as stream:  # unfinished: frees its slot
            return await self._run(key, deliver(stream))

    async def reset(self, key: ConversationKey) -> None:
        async with self._locks.hold(key):
            await self._store.reset(key)
            self._failed.pop(key, None)

    @asynccontextmanager
    async def _turn(self, key: ConversationKey, on_queued: Notify | None) -> AsyncIterator[None]:
        """Hold the conversation's lock; whoever still waits for it after a moment hears it is queued."""
        acquired = asyncio.Event()
        notice = None
        if on_queued is not None and (key in self._running or self._waiting[key]):
            notice = asyncio.create_task(self._notify_unless(acquired, on_queued))
        self._waiting[key] += 1
        waiting = True
        try:
            async with self._locks.hold(key):
                acquired.set()
                self._unwait(key)
                waiting = False
                yield
        finally:
            acquired.set()
            if waiting:
                self._unwait(key)
            if notice is not None:
                await notice

    async def _notify_unless(self, acquired: asyncio.Event, on_queued: Notify) -> None:
        """The previous answer may be a moment from done: only a real wait is worth a message."""
        try:
            await asyncio.wait_for(acquired.wait(), self._queue_notice_after)
        except TimeoutError:
            try:
                await on_queued()
            except Exception:  # a lost notice must not fail the turn itself
                logger.warning("Could not send the queued notice", exc_info=True)

    def _unwait(self, key: ConversationKey) -> None:
        self._waiting[key] -= 1
        if not self._waiting[key]:
            del self._waiting[key]

    async def _run(self, key: ConversationKey, delivery: Awaitable[str]) -> str:
        """Deliver in a task of its own, so /cancel (on any replica) can stop it without cancelling the handler."""
        self._running.add(key)
        try:
            return await self._cancels.run(key, delivery)
        finally:
            self._running.discard(key)

    async def _stream(
        self, messages: list[dict[str, Any]], options: dict[str, Any], user_id: int | None
    ) -> AsyncGenerator[str, None]:
        """The provider's text chunks. A slot is held only while the provider streams, not while the
        answer is sent: a chat waiting out Telegram's flood control must not hold up every other chat.
        The tokens of a complete stream are counted for `user_id` before the answer is sent: spent even
        if the delivery fails, and counted by the time the user can ask again."""
        usage: Usage | None = None
        chars = 0
        async with self._slots:
            async for chunk in self._provider.create_async_generator(self._model, messages, **options):
                if isinstance(chunk, Usage):
                    usage = chunk
                elif isinstance(chunk, str) and chunk:
                    chars += len(chunk)
                    yield chunk
        if self._usage is not None and user_id is not None:
            usage = usage or Usage.estimate(sum(message_chars(m) for m in messages), chars)
            self._usage.record(user_id, usage.total_tokens)
