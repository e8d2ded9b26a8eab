"""Pure text rendering for answers: Markdown to Telegram HTML, and splitting into messages.

No network and no aiogram here, so every path can be tested without Telegram.
"""

from bot.rendering.markdown import markdown_to_html, plain_to_html
from bot.rendering.split import TELEGRAM_LIMIT, split_html

__all__ = ["TELEGRAM_LIMIT", "markdown_to_html", "plain_to_html", "split_html"]
