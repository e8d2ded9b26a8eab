"""The last line of defence: log what a handler did not expect and tell the user something went wrong."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from .. import texts

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent, store_errors: tuple[type[BaseException], ...] = ()) -> None:
    """`store_errors`: what the shared store (Redis) raises when it is down (workflow data, set by create_app)."""
    unavailable = isinstance(event.exception, store_errors)
    if unavailable:
        logger.warning("Update %s failed: the store is unavailable (%s: %s)", event.update.update_id,
                       type(event.exception).__name__, event.exception)
    else:
        logger.error("Update %s failed", event.update.update_id, exc_info=event.exception)
    message = event.update.message
    if message is None:
        return
    try:
        await message.reply(texts.store_unavailable() if unavailable else texts.internal_error())
    except Exception:  # the apology itself may fail when Telegram is the problem
        logger.warning("Could not tell chat %s about the failure", message.chat.id)
