"""Builds the bot, its dependencies and the dispatcher, and runs long polling with a clean shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError
from aiogram.types import BotCommand, User
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from . import texts
from .config import Settings
from .handlers import build_router
from .replies import AnswerSender, StreamingOptions
from .services.chat import ChatService
from .services.images import ImageService
from .services.inflight import InFlight
from .services.providers import build_chain
from .storage import HistoryStore, open_store
from .telegram import build_bot

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


@asynccontextmanager
async def create_app(settings: Settings) -> AsyncIterator[Application]:
    """Open the store and the provider's connection pool; close both when the bot has stopped."""
    store = await open_store(settings.storage, settings.history_limit)
    http = aiohttp.ClientSession()
    bot = build_bot(settings.bot_token, settings.telegram_api_url)
    try:
        provider = build_chain(settings)
        inflight = InFlight()
        dispatcher = Dispatcher(
            settings=settings,
            inflight=inflight,
            provider_chain=provider,
            chat_service=ChatService(provider, store, session=http, system_prompt=settings.providers.system_prompt),
            image_service=ImageService(provider, session=http),
            answers=AnswerSender(
                StreamingOptions(settings.streaming, settings.draft_interval, settings.edit_interval)
            ),
        )
        dispatcher.update.outer_middleware(inflight)
        dispatcher.include_router(build_router())
        dispatcher.shutdown.register(_drain)
        yield Application(settings, bot, dispatcher, store, inflight)
    finally:
        await bot.session.close()
        await http.close()
        await store.close()


async def _drain(inflight: InFlight) -> None:
    """Runs when polling stops, before the bot's session closes: let answers on their way arrive."""
    await inflight.drain(SHUTDOWN_GRACE_SECONDS)


async def run_polling(app: Application, *, handle_signals: bool = True) -> None:
    await connect(app.bot)
    await app.dispatcher.start_polling(app.bot, handle_signals=handle_signals, close_bot_session=False)


async def connect(bot: Bot, max_wait: float = 60.0) -> User:
    """Reach the Bot API (retrying with backoff while it is unreachable) and register the commands."""
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
            await bot.delete_webhook()
            await bot.set_my_commands(
                [BotCommand(command=name, description=text) for name, text in texts.COMMANDS.items()]
            )
    logger.info("Connected as @%s (id %s)", me.username, me.id)
    return me
