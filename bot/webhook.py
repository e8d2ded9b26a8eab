"""Webhook mode: aiogram's request handler and GET /healthz (aiohttp), served until SIGTERM, then drained."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from .app import Application, StartupError, connect
from .config import HEALTH_PATH
from .middlewares.inflight import InFlight
from .storage import HistoryStore

logger = logging.getLogger(__name__)

STORE_KEY = web.AppKey("store", HistoryStore)
# Open requests only queue their update (see WebhookRequestHandler.handle): a stop waits this long for them.
REQUESTS_GRACE_SECONDS = 2.0


class WebhookRequestHandler(SimpleRequestHandler):
    """aiogram's handler (401 for a wrong secret), answering Telegram's POST at once and handling the update in
    a task of its own that InFlight tracks from its creation: an update accepted while the server shuts down is
    waited for (or stopped at the deadline) like any other. Its shutdown leaves the bot session open: updates
    still running need it, and create_app closes it once they are done."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, inflight: InFlight, **kwargs: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=True, **kwargs)
        self._inflight = inflight

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        update = await request.json(loads=bot.session.json_loads)
        self._inflight.track(asyncio.create_task(self._feed(bot, update)))
        return web.json_response({}, dumps=bot.session.json_dumps)

    async def _feed(self, bot: Bot, update: dict[str, Any]) -> None:
        result = await self.dispatcher.feed_raw_update(bot=bot, update=update, **self.data)
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)

    async def close(self) -> None:
        """Called from aiohttp's on_shutdown; the session outlives it on purpose."""


def build_web_app(app: Application) -> web.Application:
    """POST updates at WEBHOOK_PATH, GET /healthz; the dispatcher's start-up and shutdown hooks run with it."""
    webhook = app.settings.webhook
    assert webhook is not None, "webhook mode needs WEBHOOK_URL"
    web_app = web.Application()
    web_app[STORE_KEY] = app.store
    # The dispatcher's start-up and shutdown (InFlight's drain) run in aiohttp's, the bot session still open.
    setup_application(web_app, app.dispatcher, bot=app.bot)
    secret = webhook.secret.get_secret_value()
    handler = WebhookRequestHandler(app.dispatcher, app.bot, app.inflight, secret_token=secret)
    handler.register(web_app, path=webhook.path)
    web_app.router.add_get(HEALTH_PATH, healthz)
    return web_app


async def healthz(request: web.Request) -> web.Response:
    """200 while the history store answers, 503 otherwise: a replica without it cannot hold a conversation."""
    if await request.app[STORE_KEY].ping():
        return web.Response(text="ok")
    return web.Response(status=503, text="history store unreachable")


async def run_webhook(app: Application, *, stop: asyncio.Event | None = None) -> None:
    """Register the webhook, serve it until SIGTERM/SIGINT (or `stop` is set), then drain and return.

    From the stop, one deadline (`app.shutdown_timeout`) covers everything: no new requests, the updates being
    handled finish or are stopped at the deadline. Every replica registers the same URL and secret on
    start-up; none deletes it on the way out, since the others go on serving it.
    """
    webhook = app.settings.webhook
    assert webhook is not None, "webhook mode needs WEBHOOK_URL"
    web_app = build_web_app(app)
    await connect(app.bot, app.i18n, webhook=webhook, allowed_updates=app.dispatcher.resolve_used_update_types(),
                  default_language=app.settings.default_language)
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False,
                           shutdown_timeout=min(REQUESTS_GRACE_SECONDS, app.shutdown_timeout))
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
        logger.info("Stopping: no new updates; finishing the ones in flight (up to %.0f s)", app.shutdown_timeout)
    finally:
        app.inflight.begin_shutdown(app.shutdown_timeout)
        if stop is None:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        # Stops listening, runs the dispatcher's shutdown (InFlight's drain), waits for open requests.
        await runner.cleanup()
        await app.inflight.finish()  # updates accepted after the dispatcher's shutdown had looked
