"""Settings read from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .env import ConfigError, Rate, http_url, ids, positive_float, positive_int, rate, switch

__all__ = ["ConfigError", "GuardSettings", "ProviderSettings", "Rate", "Settings", "StorageConfig", "WebhookConfig"]

DEFAULT_AICHATS_URL = "https://ai-chats.org"
DEFAULT_STORAGE_URL = "sqlite:///data/bot.sqlite3"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
PROVIDER_NAMES = ("aichats", "openai")
# English (the source texts) and each catalog in bot/locales/; tests/test_i18n.py checks the two agree.
LANGUAGES = ("en", "ru")

# aiogram accepts any "<digits>:<something>"; Telegram's tokens are stricter, and a typo caught here
# gives a clear message instead of a 401 loop later.
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(frozen=True)
class StorageConfig:
    """Where conversation history lives: `kind` is "sqlite" (`path`), "redis" (`url`) or "memory"."""

    kind: str
    path: Path | None = None
    url: str | None = field(default=None, repr=False)  # may carry a password


DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"
# What Telegram accepts as setWebhook's secret_token (sent back in X-Telegram-Bot-Api-Secret-Token).
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


@dataclass(frozen=True)
class WebhookConfig:
    """Webhook mode: Telegram posts to `base_url` + `path` (a TLS proxy in front); we listen on host:port."""

    base_url: str
    secret: str = field(repr=False)
    path: str = DEFAULT_WEBHOOK_PATH
    host: str = "127.0.0.1"
    port: int = 8080

    @property
    def url(self) -> str:
        return self.base_url + self.path


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
        base_url = http_url(env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_OPENAI_URL, "OPENAI_BASE_URL")
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
class GuardSettings:
    """Who may use the bot and how much: the door to a paid or rate-limited model."""

    allowed_users: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    ask_rate: Rate = Rate(10, 60)
    draw_rate: Rate = Rate(3, 60)
    max_concurrent_requests: int = 32
    provider_timeout: float = 120.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GuardSettings:
        return cls(
            allowed_users=ids(env, "ALLOWED_USERS"),
            allowed_chats=ids(env, "ALLOWED_CHATS"),
            admins=ids(env, "ADMINS"),
            ask_rate=rate(env, "ASK_RATE", Rate(10, 60)),
            draw_rate=rate(env, "DRAW_RATE", Rate(3, 60)),
            max_concurrent_requests=positive_int(env, "MAX_CONCURRENT_REQUESTS", 32),
            provider_timeout=positive_float(env, "PROVIDER_TIMEOUT", 120.0),
        )

    def allows(self, user_id: int | None, chat_id: int) -> bool:
        """Everyone when no list is set; otherwise a listed user, a listed chat or an admin."""
        if not (self.allowed_users or self.allowed_chats):
            return True
        return user_id in self.allowed_users or user_id in self.admins or chat_id in self.allowed_chats


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
    guards: GuardSettings = GuardSettings()
    history_ttl: int | None = None  # seconds after its last turn that a conversation is forgotten (Redis)
    webhook: WebhookConfig | None = None  # None: long polling
    default_language: str | None = None  # None: each user's own Telegram language
    shutdown_timeout: float = 25.0  # seconds from SIGTERM to exit: answers in flight, then close

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
        storage = parse_storage_url(get("STORAGE_URL", DEFAULT_STORAGE_URL))
        history_ttl = positive_int(env, "HISTORY_TTL", 0) or None
        if history_ttl and storage.kind != "redis":
            raise ConfigError("HISTORY_TTL", "only the Redis store expires conversations; set STORAGE_URL=redis://...")
        return cls(
            bot_token=token,
            telegram_api_url=http_url(get("TELEGRAM_API_URL"), "TELEGRAM_API_URL") or None,
            aichats_url=http_url(get("AICHATS_URL", DEFAULT_AICHATS_URL), "AICHATS_URL"),
            storage=storage,
            history_limit=positive_int(env, "HISTORY_LIMIT", 20),
            max_prompt_chars=positive_int(env, "MAX_PROMPT_CHARS", 4000),
            log_level=log_level,
            streaming=switch(env, "STREAMING", True),
            draft_interval=positive_float(env, "DRAFT_INTERVAL", 0.75),
            edit_interval=positive_float(env, "GROUP_EDIT_INTERVAL", 3.0),
            providers=ProviderSettings.from_env(env),
            guards=GuardSettings.from_env(env),
            history_ttl=history_ttl,
            shutdown_timeout=positive_float(env, "SHUTDOWN_TIMEOUT", 25.0),
            webhook=_webhook(env),
            default_language=_language(env, "DEFAULT_LANGUAGE"),
        )


def parse_storage_url(url: str) -> StorageConfig:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, `redis[s]://[:password@]host[:port][/db]` or `memory://`."""
    if url == "memory://":
        return StorageConfig("memory")
    if url.startswith(("redis://", "rediss://")):
        return StorageConfig("redis", url=_redis_url(url))
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise ConfigError("STORAGE_URL", f"{url!r} names no database file")
        return StorageConfig("sqlite", Path(path))
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]  # never the rest: it may hold a password
    raise ConfigError(
        "STORAGE_URL",
        f"unknown storage {scheme!r}; use sqlite:///path/to/file.sqlite3, redis://host:6379/0 or memory://",
    )


def _redis_url(url: str) -> str:
    """Checked here so a typo stops the bot at start-up instead of failing every turn; never echoes a password."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        raise ConfigError("STORAGE_URL", "the Redis port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ConfigError("STORAGE_URL", "a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ConfigError("STORAGE_URL", f"the Redis database must be a number, got {db!r}")
    return url


def _webhook(env: Mapping[str, str]) -> WebhookConfig | None:
    """Webhook settings, all checked even in polling mode; None when WEBHOOK_URL is not set."""

    def get(name: str, default: str = "") -> str:
        return env.get(name, "").strip() or default

    secret = get("WEBHOOK_SECRET")
    if secret and not _SECRET_RE.match(secret):
        raise ConfigError("WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    path = get("WEBHOOK_PATH", DEFAULT_WEBHOOK_PATH)
    if not _PATH_RE.match(path) or path == HEALTH_PATH:
        raise ConfigError("WEBHOOK_PATH", f"must be a URL path like {DEFAULT_WEBHOOK_PATH} (not {HEALTH_PATH})")
    host = get("WEB_SERVER_HOST", "127.0.0.1")
    if any(c.isspace() or c == "/" for c in host):
        raise ConfigError("WEB_SERVER_HOST", f"must be an address to listen on, e.g. 0.0.0.0, got {host!r}")
    port = positive_int(env, "WEB_SERVER_PORT", 8080)
    if port > 65535:
        raise ConfigError("WEB_SERVER_PORT", f"must be a port from 1 to 65535, got {port}")
    base_url = http_url(get("WEBHOOK_URL"), "WEBHOOK_URL")  # http only for a local Bot API server
    if not base_url:
        return None
    if "?" in base_url or "#" in base_url:
        raise ConfigError("WEBHOOK_URL", "must be a base URL without query or fragment; the path goes in WEBHOOK_PATH")
    if not secret:
        raise ConfigError(
            "WEBHOOK_SECRET", "is required in webhook mode (WEBHOOK_URL is set): 1-256 characters of A-Z, a-z, 0-9, _ -"
        )
    return WebhookConfig(base_url, secret, path, host, port)


def _language(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip().lower()
    if raw and raw not in LANGUAGES:
        raise ConfigError(name, f"must be one of {', '.join(LANGUAGES)}, or empty to follow each user's language; "
                                f"got {raw!r}")
    return raw or None


