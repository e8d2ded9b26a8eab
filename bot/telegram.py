"""The Bot object: its API server, default properties, and flood control shared by every request."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetMe, GetUpdates, SendChatAction, SendMessageDraft, TelegramMethod
from aiogram.methods.base import Response, TelegramType

logger = logging.getLogger(__name__)

# Not retried here: getUpdates and getMe have their own backoff (the dispatcher's, and start-up's), and a
# late "typing…" or draft is useless.
_NO_RETRY = (GetMe, GetUpdates, SendChatAction, SendMessageDraft)

# Whether a 429 is waited out in the current task. A context variable, not a flag on the Bot, because
# one Bot serves every chat: only the task that opts out (a preview's) is affected, and tasks it starts.
_wait_out_flood: ContextVar[bool] = ContextVar("wait_out_flood", default=True)


def skip_flood_waits() -> None:
    """From now on in this task, a 429 is raised at once (TelegramRetryAfter) instead of waited out.

    For requests that are worthless late, such as previews: the next one, or the final answer, carries
    the text anyway, and waiting would hold the answer (and its conversation) up for up to a minute.
    """
    _wait_out_flood.set(False)


class RetryRequests(BaseRequestMiddleware):
    """Every Bot API call goes through here: 429 waits `retry_after`, 5xx and network errors back off.

    Both are bounded, so a flood ban of minutes fails the one request instead of stalling the chat;
    a task that called `skip_flood_waits()` gets its 429 at once.
    """

    def __init__(self, attempts: int = 3, max_retry_after: float = 60.0, backoff: float = 0.5) -> None:
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if isinstance(method, _NO_RETRY):
            return await make_request(bot, method)  # type: ignore[arg-type]  # narrowing lost the TypeVar
        name = type(method).__name__
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_retry_after or not _wait_out_flood.get():
                    raise
                delay: float = error.retry_after
                logger.warning("%s: flood control, waiting %s s (attempt %d)", name, delay, attempt)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                logger.warning("%s failed (%s); retrying in %.1f s", name, error, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def build_bot(token: str, api_url: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION)
    session.middleware(RetryRequests())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview_is_disabled=True, allow_sending_without_reply=True
        ),
    )
