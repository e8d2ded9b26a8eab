"""The value types read from the environment that pydantic does not know: rates, id lists, URLs, secrets."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, HttpUrl, NonNegativeInt, SecretStr, TypeAdapter


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Rate:
    """`count` requests per `seconds`, parsed from "10/min"."""

    count: int
    seconds: int

    def __str__(self) -> str:
        unit = {1: "s", 60: "min", 3600: "h", 86400: "day"}[self.seconds]
        return f"{self.count}/{unit}"


_RATE_RE = re.compile(r"^(\d+)\s*(?:/|per)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?$")
_RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}


def _rate(value: object) -> object:
    if not isinstance(value, str):
        return value
    match = _RATE_RE.match(value.lower())
    if not match or int(match[1]) <= 0:
        raise ValueError(f"must look like 10/min (per s, min, h or day), got {value!r}")
    return Rate(int(match[1]), _RATE_UNITS[match[2]])


def _items(value: object) -> object:
    return tuple(item.strip() for item in value.split(",") if item.strip()) if isinstance(value, str) else value


def _ids(value: object) -> object:
    try:
        return frozenset(int(item) for item in value.split(",") if item.strip()) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"must be comma-separated numeric Telegram ids, got {value!r}") from None


def _off(value: object) -> object:
    return value or None


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _matches(pattern: str, problem: str) -> AfterValidator:
    """A SecretStr checked against `pattern`; the message never echoes the value."""

    def check(value: SecretStr) -> SecretStr:
        if not re.fullmatch(pattern, value.get_secret_value()):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


@dataclass(frozen=True)
class StorageConfig:
    """Where conversation history lives: `kind` is "sqlite" (`path`), "redis" (`url`) or "memory"."""

    kind: str
    path: Path | None = None
    url: str | None = field(default=None, repr=False)  # may carry a password


DEFAULT_STORAGE = StorageConfig("sqlite", Path("data/bot.sqlite3"))


def parse_storage_url(url: object) -> object:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, `redis[s]://[:password@]host[:port][/db]` or `memory://`."""
    if not isinstance(url, str):
        return url
    if url == "memory://":
        return StorageConfig("memory")
    if url.startswith(("redis://", "rediss://")):
        return StorageConfig("redis", url=_redis_url(url))
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise ValueError(f"{url!r} names no database file")
        return StorageConfig("sqlite", Path(path))
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]  # never the rest: it may hold a password
    raise ValueError(f"unknown storage {scheme!r}; use sqlite:///path/to/file.sqlite3, redis://host:6379/0 or memory://")


def _redis_url(url: str) -> str:
    """Checked here so a typo stops the bot at start-up instead of failing every turn; never echoes a password."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        raise ValueError("the Redis port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValueError(f"the Redis database must be a number, got {db!r}")
    return url


def _base_url(url: str) -> str:
    """An absolute http(s) URL, as pydantic's HttpUrl checks it, kept as a str without the trailing slash."""
    return str(_HTTP_URL.validate_python(url)).rstrip("/")


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _webhook_url(url: str) -> str:
    if "?" in url or "#" in url:
        raise ValueError("must be a base URL without query or fragment; the path goes in WEBHOOK_PATH")
    return url


DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"


def _webhook_path(path: str) -> str:
    if not re.fullmatch(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*", path) or path == HEALTH_PATH:
        raise ValueError(f"must be a URL path like {DEFAULT_WEBHOOK_PATH} (not {HEALTH_PATH})")
    return path


def _host(host: str) -> str:
    if any(c.isspace() or c == "/" for c in host):
        raise ValueError(f"must be an address to listen on, e.g. 0.0.0.0, got {host!r}")
    return host


# English (the source texts) and each catalog in bot/locales/; tests/test_i18n.py checks the two agree.
LANGUAGES = ("en", "ru")


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}, or empty to follow each user's language; "
                         f"got {value!r}")
    return value


def _some_models(names: tuple[str, ...]) -> tuple[str, ...]:
    if not names:
        raise ValueError("must name one model or more, comma-separated; the first is the default")
    return names


PROVIDER_NAMES = ("aichats", "openai")


def _provider_names(names: tuple[str, ...]) -> tuple[str, ...]:
    if not names or any(name not in PROVIDER_NAMES for name in names) or len(set(names)) != len(names):
        raise ValueError(f"must list some of {', '.join(PROVIDER_NAMES)} once each, e.g. openai,aichats")
    return names


PERSONA_NAME_CHARS = 32  # a button label
PERSONA_PROMPT_CHARS = 2000


def _personas(value: object) -> Mapping[str, str]:
    """A TOML file of `name = "prompt"` lines (or, in code, the mapping itself), checked whole at start-up."""
    if isinstance(value, str | Path):
        try:
            value = tomllib.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read {str(value)!r}: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{str(value)!r} is not valid TOML: {error}") from None
    if not isinstance(value, Mapping):
        raise ValueError("must be the path of a TOML file of name = \"prompt\" lines")
    for name, prompt in value.items():
        if not 0 < len(name.strip()) == len(name) <= PERSONA_NAME_CHARS or "\n" in name:
            raise ValueError(f"persona name {name!r} must be 1-{PERSONA_NAME_CHARS} characters (a button label)")
        if not isinstance(prompt, str) or not 0 < len(prompt.strip()) <= PERSONA_PROMPT_CHARS:
            raise ValueError(f"persona {name!r} needs a prompt of 1-{PERSONA_PROMPT_CHARS} characters")
    return dict(value)


Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
OptionalModel = Annotated[str | None, BeforeValidator(_off)]  # empty: that feature is off (None)
OptionalLimit = Annotated[NonNegativeInt | None, AfterValidator(_off)]  # 0: no limit (None)
StorageURL = Annotated[StorageConfig, BeforeValidator(parse_storage_url)]
RateSpec = Annotated[Rate, BeforeValidator(_rate)]
Ids = Annotated[frozenset[int], BeforeValidator(_ids)]
ModelNames = Annotated[tuple[str, ...], BeforeValidator(_items), AfterValidator(_some_models)]
# Before validators run last first: lower-cased, then split.
ProviderNames = Annotated[tuple[str, ...], BeforeValidator(_items), BeforeValidator(_lower),
                          AfterValidator(_provider_names)]
BaseURL = Annotated[str, AfterValidator(_base_url)]
WebhookURL = Annotated[str, AfterValidator(_base_url), AfterValidator(_webhook_url)]
WebhookPath = Annotated[str, AfterValidator(_webhook_path)]
Host = Annotated[str, AfterValidator(_host)]
Port = Annotated[int, Field(ge=1, le=65535)]
# aiogram accepts any "<digits>:<something>"; Telegram's tokens are stricter, and a typo caught here
# gives a clear message instead of a 401 loop later.
Token = Annotated[SecretStr, _matches(r"\d{1,20}:[A-Za-z0-9_-]{1,100}",
                                      "is malformed; expected '<digits>:<letters, digits, _ or ->'")]
# What Telegram accepts as setWebhook's secret_token (sent back in X-Telegram-Bot-Api-Secret-Token).
WebhookSecret = Annotated[SecretStr, _matches(r"[A-Za-z0-9_-]{1,256}",
                                              "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")]
LogLevel = Annotated[Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
                     BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value)]
Language = Annotated[str, BeforeValidator(_lower), AfterValidator(_language)]
GroupHistory = Annotated[Literal["shared", "per_user"], BeforeValidator(_lower)]
Personas = Annotated[Mapping[str, str], BeforeValidator(_personas), AfterValidator(MappingProxyType)]
