"""A Telegram bot for chatting with an LLM and drawing images, built on aiogram 3 and `provider`."""

from .lazy_types import defer_aiogram_validators

# Before any module of the bot imports aiogram: see lazy_types.
defer_aiogram_validators()
