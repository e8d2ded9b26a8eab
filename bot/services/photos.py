"""Downloading a picture someone sent (to edit it): the largest photo size within MAX_IMAGE_BYTES.

The MEDIA engineer's vision path downloads photos the same way; the two may share this helper.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import PhotoSize

logger = logging.getLogger(__name__)


class PhotoUnavailable(Exception):
    """The photo cannot be had: `too_large` when every size is over the cap, otherwise a failed download."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


def pick_size(sizes: Sequence[PhotoSize], max_bytes: int) -> PhotoSize | None:
    """The largest size (by pixels) whose known file size is within `max_bytes`."""
    fitting = [size for size in sizes if size.file_size is not None and size.file_size <= max_bytes]
    return max(fitting, key=lambda size: size.width * size.height, default=None)


async def download_photo(bot: Bot, sizes: Sequence[PhotoSize], max_bytes: int) -> bytes:
    size = pick_size(sizes, max_bytes)
    if size is None:
        raise PhotoUnavailable(f"every size is over {max_bytes} bytes", too_large=True)
    return await download_file(bot, size.file_id, max_bytes)


async def download_file(bot: Bot, file_id: str, max_bytes: int) -> bytes:
    """A file by id through getFile and the file URL (bots may download up to 20 MB), capped at `max_bytes`."""
    try:
        file = await bot.get_file(file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise PhotoUnavailable(f"{file.file_size} bytes > {max_bytes}", too_large=True)
        if file.file_path is None:
            raise PhotoUnavailable("Telegram gave no file path")
        buffer = io.BytesIO()
        await bot.download_file(file.file_path, buffer)
    except TelegramAPIError as error:
        too_large = "too big" in error.message.lower()
        raise PhotoUnavailable(f"download failed: {error.message}", too_large=too_large) from error
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise PhotoUnavailable(f"download failed: {error}") from error
    data = buffer.getvalue()
    if len(data) > max_bytes:
        raise PhotoUnavailable(f"{len(data)} bytes > {max_bytes}", too_large=True)
    return data
