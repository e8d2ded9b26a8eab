"""The aiohttp application of webhook mode: aiogram's request handler, and /healthz for the load balancer."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from .config import HEALTH_PATH
from .storage import HistoryStore

if TYPE_CHECKING:
    from .app import Application

logger = logging.getLogger(__name__)

STORE_KEY = web.AppKey("store", HistoryStore)


class WebhookRequestHandler(SimpleRequestHandler):
    """aiogram's handler (401 for a wrong secret, updates handled in background tasks so Telegram gets its
    200 at once) whose shutdown leaves the bot session open: updates still running need it, and create_app
    closes it once they are done (see `wait_background`)."""

    async def close(self) -> None:
        """Called from aiohttp's on_shutdown; the session outlives it on purpose."""

    async def wait_background(self, grace: float) -> bool:
        """Wait for updates still being handled; False if some were still running after `grace` seconds.

        Covers requests that were accepted while aiohttp was shutting down, after the dispatcher's shutdown
        hook (InFlight's drain) had already looked. The task set is aiogram's (BaseRequestHandler keeps it
        so the tasks are not garbage-collected); without it, InFlight's drain is all there is.
        """
        tasks: set[asyncio.Task[object]] = getattr(self, "_background_feed_update_tasks", set())
        pending = [task for task in tasks if not task.done()]
        if not pending:
            return True
        _, still_running = await asyncio.wait(pending, timeout=grace)
        if still_running:
            logger.warning("Shutdown: %d update(s) still running after %.0f s", len(still_running), grace)
        return not still_running


def build_web_app(app: Application) -> tuple[web.Application, WebhookRequestHandler]:
    """POST updates at WEBHOOK_PATH, GET /healthz; the dispatcher's start-up and shutdown hooks run with it."""
    webhook = app.settings.webhook
    assert webhook is not None, "webhook mode needs WEBHOOK_URL"
    web_app = web.Application()
    web_app[STORE_KEY] = app.store
    # The dispatcher's start-up and shutdown (InFlight's drain) run in aiohttp's, the bot session still open.
    setup_application(web_app, app.dispatcher, bot=app.bot)
    secret = webhook.secret.get_secret_value()
    handler = WebhookRequestHandler(app.dispatcher, app.bot, handle_in_background=True, secret_token=secret)
    handler.register(web_app, path=webhook.path)
    web_app.router.add_get(HEALTH_PATH, healthz)
    return web_app, handler


async def healthz(request: web.Request) -> web.Response:
    """200 while the history store answers, 503 otherwise: a replica without it cannot hold a conversation."""
    if await request.app[STORE_KEY].ping():
        return web.Response(text="ok")
    return web.Response(status=503, text="history store unreachable")
