"""Settings read from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_AICHATS_URL = "https://ai-chats.org"
DEFAULT_STORAGE_URL = "sqlite:///data/bot.sqlite3"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
PROVIDER_NAMES = ("aichats", "openai")

# aiogram accepts any "<digits>:<something>"; Telegram's tokens are stricter, and a typo caught here
# gives a clear message instead of a 401 loop later.
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class StorageConfig:
    """Where conversation history lives: `kind` is "sqlite" or "memory"."""

    kind: str
    path: Path | None = None


@dataclass(frozen=True)
class ProviderSettings:
    """Which model providers answer, in the order they are tried (`PROVIDERS`)."""

    names: tuple[str, ...] = ("aichats",)
    openai_base_url: str = DEFAULT_OPENAI_URL
    openai_api_key: str | None = field(default=None, repr=False)
    openai_model: str = "gpt-4o-mini"
    openai_image_model: str | None = "dall-e-3"
    system_prompt: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProviderSettings:
        names = tuple(name.strip().lower() for name in env.get("PROVIDERS", "aichats").split(",") if name.strip())
        unknown = [name for name in names if name not in PROVIDER_NAMES]
        if not names or unknown or len(set(names)) != len(names):
            raise ConfigError(
                "PROVIDERS", f"must list some of {', '.join(PROVIDER_NAMES)} once each, e.g. openai,aichats"
            )
        base_url = _http_url(env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_OPENAI_URL, "OPENAI_BASE_URL")
        api_key = env.get("OPENAI_API_KEY", "").strip() or None
        if "openai" in names and api_key is None and base_url == DEFAULT_OPENAI_URL:
            raise ConfigError("OPENAI_API_KEY", "is required for api.openai.com (or set OPENAI_BASE_URL)")
        image_model = env.get("OPENAI_IMAGE_MODEL", "dall-e-3").strip() or None
        return cls(
            names=names,
            openai_base_url=base_url,
            openai_api_key=api_key,
            openai_model=env.get("OPENAI_MODEL", "").strip() or "gpt-4o-mini",
            openai_image_model=image_model,
            system_prompt=env.get("SYSTEM_PROMPT", "").strip() or None,
        )


@dataclass(frozen=True)
class Settings:
    bot_token: str = field(repr=False)
    telegram_api_url: str | None = None
    aichats_url: str = DEFAULT_AICHATS_URL
    storage: StorageConfig = StorageConfig("sqlite", Path("data/bot.sqlite3"))
    history_limit: int = 20
    max_prompt_chars: int = 4000
    log_level: str = "INFO"
    streaming: bool = True
    draft_interval: float = 0.75
    edit_interval: float = 3.0
    providers: ProviderSettings = ProviderSettings()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of environment variables; raises ConfigError."""

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip() or default

        token = get("BOT_TOKEN")
        if not token:
            raise ConfigError("BOT_TOKEN", "is not set; get a token from @BotFather and put it in .env")
        if not _TOKEN_RE.match(token):
            raise ConfigError("BOT_TOKEN", "is malformed; expected '<digits>:<letters, digits, _ or ->'")
        log_level = get("LOG_LEVEL", "INFO").upper()
        if log_level not in _LOG_LEVELS:
            raise ConfigError("LOG_LEVEL", f"must be one of {', '.join(_LOG_LEVELS)}")
        return cls(
            bot_token=token,
            telegram_api_url=_http_url(get("TELEGRAM_API_URL"), "TELEGRAM_API_URL") or None,
            aichats_url=_http_url(get("AICHATS_URL", DEFAULT_AICHATS_URL), "AICHATS_URL"),
            storage=parse_storage_url(get("STORAGE_URL", DEFAULT_STORAGE_URL)),
            history_limit=_positive_int(env, "HISTORY_LIMIT", 20),
            max_prompt_chars=_positive_int(env, "MAX_PROMPT_CHARS", 4000),
            log_level=log_level,
            streaming=_switch(env, "STREAMING", True),
            draft_interval=_positive_float(env, "DRAFT_INTERVAL", 0.75),
            edit_interval=_positive_float(env, "GROUP_EDIT_INTERVAL", 3.0),
            providers=ProviderSettings.from_env(env),
        )


def parse_storage_url(url: str) -> StorageConfig:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `memory://`."""
    if url == "memory://":
        return StorageConfig("memory")
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise ConfigError("STORAGE_URL", f"{url!r} names no database file")
        return StorageConfig("sqlite", Path(path))
    raise ConfigError(
        "STORAGE_URL", f"unknown storage {url!r}; use sqlite:///path/to/file.sqlite3 or memory://"
    )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, f"must be positive, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(name, f"must be a positive number of seconds, got {raw!r}")
    return value


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "true", "yes", "1"):
        return True
    if raw in ("off", "false", "no", "0"):
        return False
    raise ConfigError(name, f"must be on or off, got {raw!r}")


def _http_url(value: str, name: str) -> str:
    if value and not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(name, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")
