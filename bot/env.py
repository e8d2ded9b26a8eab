"""Parsing environment values: each failure is a ConfigError that names the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(Exception):
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


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
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


_RATE_RE = re.compile(r"^(\d+)\s*(?:/|per)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?$")
_RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}


def rate(env: Mapping[str, str], name: str, default: Rate) -> Rate:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    match = _RATE_RE.match(raw)
    if not match or int(match[1]) <= 0:
        raise ConfigError(name, f"must look like 10/min (per s, min, h or day), got {raw!r}")
    return Rate(int(match[1]), _RATE_UNITS[match[2]])


def ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    items = [item.strip() for item in env.get(name, "").split(",") if item.strip()]
    try:
        return frozenset(int(item) for item in items)
    except ValueError:
        raise ConfigError(name, f"must be comma-separated numeric Telegram ids, got {env[name]!r}") from None


def positive_float(env: Mapping[str, str], name: str, default: float) -> float:
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


def switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "true", "yes", "1"):
        return True
    if raw in ("off", "false", "no", "0"):
        return False
    raise ConfigError(name, f"must be on or off, got {raw!r}")


def http_url(value: str, name: str) -> str:
    if value and not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(name, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")
