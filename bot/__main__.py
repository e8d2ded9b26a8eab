"""Entry point: `python -m bot` or the `aichats-bot` console script."""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from pydantic import SecretStr

from .config import ConfigError, Settings
from .heap import frozen_heap
from .lazy_types import import_aiogram_lazily
from .logs import setup_logging
from .loop import run

logger = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    from .app import create_app, run_polling
    from .webhook import run_webhook

    async with create_app(settings) as app:
        with frozen_heap():  # process-wide, so here and not in create_app: see bot/heap.py
            if settings.webhook is not None:
                await run_webhook(app)
            else:
                await run_polling(app)


def _secrets(settings: Settings) -> list[str]:
    """Everything that must never reach a log line: tokens, keys, the webhook secret, a Redis password."""
    secrets = [value.get_secret_value() for _, value in settings if isinstance(value, SecretStr)]
    if settings.storage.url:
        secrets.append(urlsplit(settings.storage.url).password or "")
    return secrets


def main() -> None:
    try:
        settings = Settings.from_env()  # the environment, then .env in the working directory
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    setup_logging(settings.log_level, secrets=_secrets(settings))
    # Only now, so that a configuration error is reported without loading aiogram first; and here rather than
    # in the package, since it changes aiogram's types for the whole process (bot/lazy_types.py).
    import_aiogram_lazily()
    from .app import StartupError

    try:
        run(serve(settings))
    except StartupError as error:
        logger.error("%s", error)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        logger.info("Interrupted")


if __name__ == "__main__":
    main()
