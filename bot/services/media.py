"""Telegram files for the conversation: downloads within Telegram's limits, images as data URIs for the
model (downloaded again by file id for later turns), and speech to text through the provider chain."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import PhotoSize

from provider import AsyncGeneratorProvider, ProviderError
from provider.image import sniff_image_mime

from .. import texts

logger = logging.getLogger(__name__)

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files to bots
_B64_BLOCK = 3 * 64 * 1024  # encode in slices that are a multiple of 3 bytes: no padding inside


class MediaRefused(Exception):
    """An input the bot cannot take; `reply` is the text for the user, `why` the log line."""

    def __init__(self, reply: str, why: str) -> None:
        super().__init__(why)
        self.reply = reply
        self.why = why


def largest_photo(sizes: Sequence[PhotoSize], max_bytes: int) -> PhotoSize | None:
    """The largest size (by pixels) of a photo within `max_bytes` (a size of unknown bytes is capped when
    downloaded); None when every size is over it."""
    fitting = [size for size in sizes if (size.file_size or 0) <= max_bytes]
    return max(fitting, key=lambda size: size.width * size.height, default=None)


class MediaService:
    def __init__(
        self,
        provider: type[AsyncGeneratorProvider] | AsyncGeneratorProvider,
        *,
        max_image_bytes: int,
        provider_options: dict[str, Any] | None = None,
    ) -> None:
        self._provider = provider
        self._options = provider_options or {}
        self.max_image_bytes = max_image_bytes

    @property
    def can_see(self) -> bool:
        return bool(self._provider.supports_vision)

    @property
    def can_transcribe(self) -> bool:
        return bool(self._provider.transcribe_model)

    async def download(self, bot: Bot, file_id: str, *, max_bytes: int, too_big: str | None = None) -> bytes:
        """The file's bytes; a file over `max_bytes` (refused with `too_big`, by default Telegram's own limit
        explained) or one Telegram will not serve is refused."""
        try:
            file = await bot.get_file(file_id)
            if file.file_size is not None and file.file_size > max_bytes:
                raise MediaRefused(too_big or texts.file_too_big(max_bytes), f"file of {file.file_size} bytes")
            buffer = io.BytesIO()
            await bot.download(file, destination=buffer)
        except (TelegramAPIError, TelegramNetworkError) as error:
            if "too big" in str(error).lower():
                raise MediaRefused(texts.file_too_big(TELEGRAM_DOWNLOAD_LIMIT), f"getFile: {error}") from None
            raise MediaRefused(texts.download_failed(), f"download of {file_id} failed: {error}") from None
        return buffer.getvalue()

    async def image_uri(self, bot: Bot, file_id: str) -> str | None:
        """The image as a ``data:`` URI for the model, or None when it can no longer be had (never an error).

        Only the photo and its encoding are held at once: base64 goes slice by slice into one buffer.
        """
        try:
            file = await bot.get_file(file_id)
            if file.file_size is not None and file.file_size > self.max_image_bytes:
                logger.info("image %s is %d bytes, over MAX_IMAGE_BYTES", file_id, file.file_size)
                return None
            buffer = io.BytesIO()
            await bot.download(file, destination=buffer)
        except (TelegramAPIError, TelegramNetworkError) as error:
            logger.info("image %s could not be downloaded: %s", file_id, error)
            return None
        view = buffer.getbuffer()
        mime = sniff_image_mime(bytes(view[:16])) or "image/jpeg"
        encoded = bytearray(f"data:{mime};base64,".encode("ascii"))
        for start in range(0, len(view), _B64_BLOCK):
            encoded += base64.b64encode(view[start : start + _B64_BLOCK])
        del view
        buffer.close()
        return encoded.decode("ascii")

    async def transcribe(self, audio: bytes, *, filename: str, mime: str) -> str:
        """The transcript from the chain's speech-to-text model; provider failures are refused politely."""
        try:
            return await self._provider.transcribe(audio, filename=filename, mime=mime, **self._options)
        except NotImplementedError:
            raise MediaRefused(texts.transcription_off(), "no provider transcribes") from None
        except ProviderError as error:
            raise MediaRefused(texts.transcription_failed(error), f"transcription failed: {error}") from None
