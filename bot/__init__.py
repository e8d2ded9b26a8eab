"""A Telegram bot for chatting with an LLM and drawing images, built on aiogram 3 and `provider`."""
