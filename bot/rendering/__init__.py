"""Pure text rendering for answers: Markdown to Telegram text + entities, and splitting into messages.

No network and no aiogram here, so every path can be tested without Telegram.
"""

from bot.rendering.markdown import Rendered, render_markdown
from bot.rendering.split import TELEGRAM_LIMIT, split_rendered

__all__ = ["TELEGRAM_LIMIT", "Rendered", "render_markdown", "split_rendered"]
