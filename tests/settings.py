"""Variants of the bot's settings in tests: validated like the real ones, never read from the environment."""

from __future__ import annotations

from typing import Any

from bot.config import Settings


def changed(settings: Settings, **changes: Any) -> Settings:
    """A validated copy of `settings` with `changes` (field names, e.g. streaming=False or ask_rate=Rate(1, 60))."""
    given = {name: getattr(settings, name) for name in settings.model_fields_set}
    return Settings(**{**given, **changes})
