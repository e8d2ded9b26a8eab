"""Running one drawing for /draw or a 🔄/✏️ button: the person's queue, upload_photo, the picture to edit,
the provider, the pictures with their buttons, and every refusal.

One person's drawings in a chat run one at a time (a second is told it waits); /cancel stops any of them,
and nothing is sent after it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from provider import ProviderError

from . import texts
from .conversation import topic_id
from .pictures import caption, draw_buttons, picture_id, send_pictures
from .services.cancel import Cancellations, TurnCancelled
from .services.draw_jobs import DrawMemory, DrawnRequest, DrawQueue
from .services.images import DrawRequest, ImageService, SourceImageError
from .services.media import MediaRefused, MediaService
from .storage import ConversationKey

logger = logging.getLogger(__name__)

NO_RIGHTS = "NOT ENOUGH RIGHTS"


class Drawings:
    """The `drawings` of workflow data: the image service, each person's queue and the requests under the
    buttons (both per process)."""

    def __init__(self, images: ImageService, media: MediaService, cancels: Cancellations) -> None:
        self.images = images
        self._media, self._cancels = media, cancels
        self._queue = DrawQueue()
        self._memory = DrawMemory()

    def recall(self, ref: str) -> DrawnRequest | None:
        """The request under a button; None after a restart, on another replica or once forgotten."""
        return self._memory.recall(ref)

    async def draw(
        self, target: Message, request: DrawnRequest, *, asker: str | None, sender: int,
        conversation: ConversationKey,
    ) -> None:
        """Draw `request` in reply to `target` (the /draw, or the picture whose button was pressed), naming
        `asker` in group captions: in `sender`'s queue for the chat and topic, stopped by /cancel in
        `conversation` (the drawer's own with GROUP_HISTORY=per_user, else the chat's)."""
        bot = target.bot
        assert bot is not None
        drawer = (target.chat.id, topic_id(target) or 0, sender)
        try:
            async with (
                self._queue.turn(drawer, lambda: target.reply(texts.draw_queued())),
                ChatActionSender.upload_photo(bot=bot, chat_id=target.chat.id,
                                              message_thread_id=topic_id(target)),
            ):
                await self._cancels.run(conversation, self._work(target, bot, request, asker))
        except TurnCancelled:
            logger.info("chat=%s: drawing cancelled by the user", target.chat.id)
            await target.reply(texts.cancelled())
        except ProviderError as error:
            logger.warning("chat=%s: image failed: %s", target.chat.id, error)
            await target.reply(texts.image_failed(error))
        except MediaRefused as refused:
            logger.warning("chat=%s: picture to edit unavailable: %s", target.chat.id, refused.why)
            await target.reply(refused.reply)
        except SourceImageError as error:
            logger.warning("chat=%s: %s", target.chat.id, error)
            await target.reply(texts.photo_unreadable())
        except TelegramBadRequest as error:
            logger.warning("chat=%s: the picture was refused: %s", target.chat.id, error.message)
            reason = error.message.removeprefix("Bad Request: ")
            refusal = texts.photo_not_allowed() if NO_RIGHTS in reason.upper() else texts.photo_refused(reason)
            await target.reply(refusal)

    async def _work(self, target: Message, bot: Bot, request: DrawnRequest, asker: str | None) -> None:
        source = None
        if request.source is not None:
            limit = self._media.max_image_bytes
            source = await self._media.download(bot, request.source, max_bytes=limit,
                                                too_big=texts.edit_source_too_large(limit))
        images = await self.images.draw(DrawRequest(request.prompt, request.count, request.size, source))
        ref = self._memory.remember(request)
        sent = await send_pictures(target, images, caption(request.prompt, asker),
                                   draw_buttons(ref, can_vary=self.images.can_edit))
        self._memory.remember(replace(request, picture=picture_id(sent[0])), ref=ref)
        logger.info("chat=%s: drew %d picture(s)%s", target.chat.id, len(images), " (edit)" if source else "")
