"""Local HTTP emulators of the Telegram Bot API and ai-chats.org for end-to-end tests (no internet)."""

from .aichats import AiChatsEmulator, AiRequest
from .telegram import TelegramEmulator
from .tg_models import ApiCall, UploadedFile

__all__ = ["AiChatsEmulator", "AiRequest", "ApiCall", "TelegramEmulator", "UploadedFile"]
