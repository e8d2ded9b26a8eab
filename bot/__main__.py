"""Entry point: `python -m bot` or the `aichats-bot` console script."""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from pydantic import SecretStr

from .config import ConfigError, Settings
from .logs import setup_logging
from .loop import run

logger = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    from .app import create_app, run_polling
    from .webhook import run_webhook

    async with create_app(settings) as app:
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
    # Imported only now: a configuration error is reported without loading aiogram first.
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
