"""Builds the bot, its dependencies and the dispatcher; runs long polling or a webhook server; shuts down cleanly."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User
from aiogram.utils.token import extract_bot_id
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from .commands import register_commands
from .config import Settings, WebhookConfig
from .drawings import Drawings
from .handlers import build_router
from .i18n import CatalogI18n, UserLocale, catalogs
from .middlewares import setup_middlewares
from .middlewares.inflight import InFlight
from .replies import AnswerSender, StreamingOptions
from .services.admins import ChatAdmins
from .services.albums import AlbumCollector
from .services.cancel import Cancellations
from .services.chat import ChatService
from .services.images import ImageService
from .services.limits import RequestLimiter, limit_storage
from .services.locks import ConversationLocks, KeyedLocks
from .services.media import MediaService
from .services.providers import build_chain
from .services.retry_buttons import RetryButtons
from .services.status import StatusService
from .services.usage import UsageService
from .storage import HistoryStore, open_store
from .telegram import build_bot
from .turns import Turns

logger = logging.getLogger(__name__)

class StartupError(Exception):
    """The bot cannot start for a reason the operator must fix (e.g. a revoked token)."""


@dataclass
class Application:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    store: HistoryStore
    inflight: InFlight
    i18n: CatalogI18n
    shutdown_timeout: float  # one deadline from the stop signal: answers in flight, background work, closing


@asynccontextmanager
async def create_app(settings: Settings, *, shutdown_timeout: float | None = None) -> AsyncIterator[Application]:
    """Open the store and the provider's connection pool; close both when the bot has stopped.

    `shutdown_timeout` overrides SHUTDOWN_TIMEOUT (`settings.shutdown_timeout`).
    """
    # Keys carry the bot id: bots sharing a Redis must not share conversations (chat ids are per user).
    namespace = f"aichats:{extract_bot_id(settings.bot_token.get_secret_value())}"
    store = await open_store(settings.storage, settings.history_limit, ttl=settings.history_ttl, namespace=namespace)
    # No pool limit: MAX_CONCURRENT_REQUESTS bounds provider requests, and aiohttp's default of 100
    # connections would silently queue the rest in waves (BENCHMARKS.md).
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    cancels = Cancellations()
    usage = UsageService(store, daily_tokens=settings.daily_tokens, admins=settings.admins)
    try:
        provider = build_chain(settings)
        inflight = InFlight()
        locks: ConversationLocks = KeyedLocks()
        redelivered = None
        store_errors: tuple[type[BaseException], ...] = ()
        if settings.storage.kind == "redis":  # replicas may share it
            # These load redis-py, which a bot on SQLite does without.
            from limits.errors import StorageError
            from redis.exceptions import RedisError

            from .services.cancel_redis import RedisCancellations
            from .services.replicas import coordinate
            from .storage.redis import RedisHistoryStore

            locks, redelivered = coordinate(store, namespace)
            assert isinstance(store, RedisHistoryStore)
            cancels = RedisCancellations(store.redis, namespace)
            store_errors = (RedisError, StorageError)
        options = {"session": http, "timeout": settings.provider_timeout}
        slots = asyncio.Semaphore(settings.max_concurrent_requests)  # shared by chat and images
        media = MediaService(provider, max_image_bytes=settings.max_image_bytes, provider_options=options)
        chat_service = ChatService(
            provider, store, locks=locks, provider_options=options, slots=slots, system_prompt=settings.system_prompt,
            cancels=cancels, history_chars=settings.history_chars, models=settings.models, usage=usage,
            history_images=settings.history_images, images=functools.partial(media.image_uri, bot),
        )
        answers = AnswerSender(StreamingOptions(settings.streaming, settings.draft_interval, settings.edit_interval))
        dispatcher = Dispatcher(
            disable_fsm=True,  # no handler keeps state between messages: skip a context per update
            settings=settings,
            inflight=inflight,
            shutdown_timeout=settings.shutdown_timeout if shutdown_timeout is None else shutdown_timeout,
            cancels=cancels,
            store_errors=store_errors,  # errors router: "temporarily unavailable" instead of "went wrong"
            store=store,
            provider_chain=provider,
            limiter=RequestLimiter(
                {"ask": settings.ask_rate, "draw": settings.draw_rate}, limit_storage(settings.storage, namespace),
                chat_rates={"draw": settings.group_draw_rate}, exempt=settings.admins,
            ),
            chat_service=chat_service,
            turns=Turns(chat_service, answers, RetryButtons()),
            media=media,
            albums=AlbumCollector(),
            usage=usage,
            drawings=Drawings(ImageService(provider, provider_options=options, slots=slots), media, cancels),
            status_service=StatusService(store, provider),
            chat_admins=ChatAdmins(),
        )
        dispatcher.update.outer_middleware(inflight)
        if redelivered is not None:  # after InFlight, so the Redis round trip is drained too
            dispatcher.update.outer_middleware(redelivered)
        i18n = catalogs()
        UserLocale(i18n, settings.default_language).setup(dispatcher)  # outside AccessGuard: its refusal too
        setup_middlewares(dispatcher)  # the update's conversation, AccessGuard, then the handlers' rate flags
        dispatcher.include_router(build_router())
        dispatcher.shutdown.register(_drain)
        await cancels.start()
        yield Application(settings, bot, dispatcher, store, inflight, i18n,
                          dispatcher.workflow_data["shutdown_timeout"])
    finally:
        await cancels.close()
        await usage.close()  # the token counts still in memory
        await bot.session.close()
        await http.close()
        await store.close()


async def _drain(inflight: InFlight, shutdown_timeout: float) -> None:
    """The dispatcher's shutdown, before the bot's session closes: let answers on their way arrive until the
    deadline (set when the shutdown began, e.g. at SIGTERM in webhook mode), and stop the rest."""
    inflight.begin_shutdown(shutdown_timeout)
    await inflight.finish()


async def run_polling(app: Application, *, handle_signals: bool = True) -> None:
    await connect(app.bot, app.i18n, default_language=app.settings.default_language)
    await app.dispatcher.start_polling(app.bot, handle_signals=handle_signals, close_bot_session=False)


@asynccontextmanager
async def polling_in_background(app: Application) -> AsyncIterator[None]:
    """Poll in this event loop while the block runs, then stop as a signal would: for programs that embed
    the bot, the tests and the benchmarks. Start-up errors are raised here."""
    started = asyncio.Event()
    app.dispatcher.startup.register(started.set)
    task = asyncio.create_task(run_polling(app, handle_signals=False))
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        await app.dispatcher.stop_polling()
        await task


async def connect(
    bot: Bot, i18n: CatalogI18n, *, webhook: WebhookConfig | None = None,
    allowed_updates: list[str] | None = None, default_language: str | None = None,
) -> User:
    """Reach the Bot API (retrying with backoff, at most a minute apart, while it is unreachable), register the
    commands, and either drop any webhook (polling) or register ours (webhook mode)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((TelegramNetworkError, TelegramServerError)),
        wait=wait_exponential(multiplier=1, max=60),
        before_sleep=lambda state: logger.warning(
            "Telegram Bot API unreachable (%s); retrying in %.0f s",
            state.outcome.exception() if state.outcome else "?",
            state.next_action.sleep if state.next_action else 0,
        ),
        reraise=True,
    ):
        with attempt:
            try:
                me = await bot.me()
            except TelegramUnauthorizedError:
                raise StartupError("BOT_TOKEN was rejected by the Bot API (401 Unauthorized)") from None
            if webhook is None:
                await bot.delete_webhook()
            else:
                await _set_webhook(bot, webhook, allowed_updates)
            await register_commands(bot, i18n, default_language)
    logger.info("Connected as @%s (id %s)", me.username, me.id)
    return me


async def _set_webhook(bot: Bot, webhook: WebhookConfig, allowed_updates: list[str] | None) -> None:
    try:
        secret = webhook.secret.get_secret_value()
        await bot.set_webhook(url=webhook.url, secret_token=secret, allowed_updates=allowed_updates)
    except TelegramBadRequest as error:  # e.g. not HTTPS, or a port Telegram does not deliver to
        raise StartupError(f"setWebhook refused WEBHOOK_URL {webhook.url}: {error.message}") from None
