"""Builds the bot, its dependencies and the dispatcher; runs long polling or a webhook server; shuts down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
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
from aiohttp import web
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from .commands import register_commands
from .config import Settings, WebhookConfig
from .handlers import build_router
from .i18n import CatalogI18n, UserLocale, catalogs
from .middlewares.access import AccessGuard
from .middlewares.inflight import InFlight
from .replies import AnswerSender, StreamingOptions
from .services.chat import ChatService
from .services.images import ImageService
from .services.limits import RequestLimiter, limit_storage
from .services.locks import ConversationLocks, KeyedLocks
from .services.providers import build_chain
from .storage import HistoryStore, open_store
from .telegram import build_bot
from .webhook import build_web_app

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0


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


@asynccontextmanager
async def create_app(settings: Settings) -> AsyncIterator[Application]:
    """Open the store and the provider's connection pool; close both when the bot has stopped."""
    # Keys carry the bot id: bots sharing a Redis must not share conversations (chat ids are per user).
    namespace = f"aichats:{extract_bot_id(settings.bot_token)}"
    store = await open_store(settings.storage, settings.history_limit, ttl=settings.history_ttl, namespace=namespace)
    # No pool limit: MAX_CONCURRENT_REQUESTS bounds provider requests, and aiohttp's default of 100
    # connections would silently queue the rest in waves (1,000 /ask at a 1 s model: 11.2 s → 3.8 s; BENCHMARKS.md).
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    bot = build_bot(settings.bot_token, settings.telegram_api_url)
    try:
        provider = build_chain(settings)
        inflight = InFlight()
        locks: ConversationLocks = KeyedLocks()
        redelivered = None
        if settings.storage.kind == "redis":  # replicas may share it
            from .services.replicas import coordinate  # loads redis-py, which a bot on SQLite does without

            locks, redelivered = coordinate(store, namespace)
        options = {"session": http, "timeout": settings.guards.provider_timeout}
        slots = asyncio.Semaphore(settings.guards.max_concurrent_requests)  # shared by chat and images
        dispatcher = Dispatcher(
            disable_fsm=True,  # no handler keeps state between messages: skip a context per update
            settings=settings,
            inflight=inflight,
            store=store,
            provider_chain=provider,
            limiter=RequestLimiter(settings.guards, limit_storage(settings.storage, namespace)),
            chat_service=ChatService(
                provider, store, locks=locks, provider_options=options, slots=slots,
                system_prompt=settings.providers.system_prompt,
            ),
            image_service=ImageService(provider, provider_options=options, slots=slots),
            answers=AnswerSender(
                StreamingOptions(settings.streaming, settings.draft_interval, settings.edit_interval)
            ),
        )
        dispatcher.update.outer_middleware(inflight)
        if redelivered is not None:  # after InFlight, so the Redis round trip is drained too
            dispatcher.update.outer_middleware(redelivered)
        i18n = catalogs()
        UserLocale(i18n, settings.default_language).setup(dispatcher)  # outside AccessGuard: its refusal too
        dispatcher.message.middleware(AccessGuard(settings.guards))
        dispatcher.include_router(build_router())
        dispatcher.shutdown.register(_drain)
        yield Application(settings, bot, dispatcher, store, inflight, i18n)
    finally:
        await bot.session.close()
        await http.close()
        await store.close()


async def _drain(inflight: InFlight) -> None:
    """Runs when polling stops, before the bot's session closes: let answers on their way arrive."""
    await inflight.drain(SHUTDOWN_GRACE_SECONDS)


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


async def run_webhook(app: Application, *, stop: asyncio.Event | None = None) -> None:
    """Register the webhook, serve it until SIGTERM/SIGINT (or `stop` is set), then drain and return.

    Every replica registers the same URL and secret on start-up; none deletes it on the way out, since the
    others go on serving it.
    """
    webhook = app.settings.webhook
    assert webhook is not None, "webhook mode needs WEBHOOK_URL"
    web_app, handler = build_web_app(app)
    await connect(app.bot, app.i18n, webhook=webhook, allowed_updates=app.dispatcher.resolve_used_update_types(),
                  default_language=app.settings.default_language)
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()  # emits the dispatcher's start-up
    stopping = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        try:
            await web.TCPSite(runner, webhook.host, webhook.port).start()
        except OSError as error:  # the port is taken, or the address is not this host's
            raise StartupError(f"cannot listen on {webhook.host}:{webhook.port} ({error.strerror})") from None
        logger.info("Webhook mode: serving %s on %s:%s", webhook.path, webhook.host, webhook.port)
        if stop is None:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        logger.info("Stopping: no new updates; finishing the ones in flight")
    finally:
        if stop is None:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        # Stops listening, runs the dispatcher's shutdown (InFlight's drain), waits for open requests.
        await runner.cleanup()
        await handler.wait_background(SHUTDOWN_GRACE_SECONDS)


async def connect(
    bot: Bot, i18n: CatalogI18n, max_wait: float = 60.0, *, webhook: WebhookConfig | None = None,
    allowed_updates: list[str] | None = None, default_language: str | None = None,
) -> User:
    """Reach the Bot API (retrying with backoff while it is unreachable), register the commands, and either
    drop any webhook (polling) or register ours (webhook mode)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((TelegramNetworkError, TelegramServerError)),
        wait=wait_exponential(multiplier=1, max=max_wait),
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
        await bot.set_webhook(url=webhook.url, secret_token=webhook.secret, allowed_updates=allowed_updates)
    except TelegramBadRequest as error:  # e.g. not HTTPS, or a port Telegram does not deliver to
        raise StartupError(f"setWebhook refused WEBHOOK_URL {webhook.url}: {error.message}") from None
