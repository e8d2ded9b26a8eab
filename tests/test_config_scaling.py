"""Configuration of webhook mode and the Redis store: defaults, parsing, and failures naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values
from pydantic import SecretStr

from bot.config import ConfigError, Settings, StorageConfig, WebhookConfig
from tests.helpers import ROOT, python_env, run_python

TOKEN = "123456:AAH-test_token"
WEBHOOK = {"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.com/", "WEBHOOK_SECRET": "abc_DEF-123"}


def test_polling_and_no_expiry_by_default() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN})
    assert s.webhook is None
    assert s.history_ttl is None


def test_webhook_defaults() -> None:
    hook = Settings.from_env(WEBHOOK).webhook
    assert hook == WebhookConfig(base_url="https://bot.example.com", secret=SecretStr("abc_DEF-123"),
                                 path="/telegram/webhook", host="127.0.0.1", port=8080)
    assert hook is not None and hook.url == "https://bot.example.com/telegram/webhook"
    assert "abc_DEF-123" not in repr(hook)


def test_webhook_values_parsed() -> None:
    s = Settings.from_env({
        **WEBHOOK, "WEBHOOK_URL": "http://127.0.0.1:8081", "WEBHOOK_PATH": "/hooks/tg-1", "WEB_SERVER_HOST": "0.0.0.0",
        "WEB_SERVER_PORT": "9000", "WEBHOOK_SECRET": "x" * 256,
    })
    assert s.webhook == WebhookConfig(base_url="http://127.0.0.1:8081", secret=SecretStr("x" * 256), path="/hooks/tg-1",
                                      host="0.0.0.0", port=9000)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "redis://redis", "rediss://:p%40ss@cache.internal:6380/3", "redis://h/"]
)
def test_redis_storage_urls(url: str) -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "STORAGE_URL": url, "HISTORY_TTL": "86400"})
    assert s.storage == StorageConfig("redis", url=url)
    assert s.storage.url == url
    assert s.history_ttl == 86400


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.com"}, "WEBHOOK_SECRET"),
        ({**WEBHOOK, "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET"),
        ({**WEBHOOK, "WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET"),
        ({**WEBHOOK, "WEBHOOK_SECRET": "ключ"}, "WEBHOOK_SECRET"),
        ({**WEBHOOK, "WEBHOOK_URL": "bot.example.com"}, "WEBHOOK_URL"),
        ({**WEBHOOK, "WEBHOOK_URL": "https://bot.example.com/?a=1"}, "WEBHOOK_URL"),
        ({**WEBHOOK, "WEBHOOK_PATH": "telegram"}, "WEBHOOK_PATH"),
        ({**WEBHOOK, "WEBHOOK_PATH": "/healthz"}, "WEBHOOK_PATH"),
        ({**WEBHOOK, "WEB_SERVER_PORT": "http"}, "WEB_SERVER_PORT"),
        ({**WEBHOOK, "WEB_SERVER_PORT": "70000"}, "WEB_SERVER_PORT"),
        ({**WEBHOOK, "WEB_SERVER_PORT": "0"}, "WEB_SERVER_PORT"),
        ({**WEBHOOK, "WEB_SERVER_HOST": "0.0.0.0/8"}, "WEB_SERVER_HOST"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis://:pw@h:port/0"}, "STORAGE_URL"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis://h:6379/zero"}, "STORAGE_URL"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis:///0"}, "STORAGE_URL"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis://h", "HISTORY_TTL": "a day"}, "HISTORY_TTL"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis://h", "HISTORY_TTL": "-5"}, "HISTORY_TTL"),
        ({"BOT_TOKEN": TOKEN, "HISTORY_TTL": "3600"}, "HISTORY_TTL"),  # SQLite keeps history: say so
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable)
    for secret in ("has space", "x" * 257, "ключ", ":pw@"):  # a rejected secret is never echoed
        assert secret not in str(info.value)


def test_every_new_variable_is_in_env_example_with_its_default() -> None:
    example = dotenv_values(ROOT / ".env.example")
    assert {name: example.get(name) for name in (
        "WEBHOOK_URL", "WEBHOOK_PATH", "WEBHOOK_SECRET", "WEB_SERVER_HOST", "WEB_SERVER_PORT", "HISTORY_TTL",
    )} == {
        "WEBHOOK_URL": "", "WEBHOOK_PATH": "/telegram/webhook", "WEBHOOK_SECRET": "", "WEB_SERVER_HOST": "127.0.0.1",
        "WEB_SERVER_PORT": "8080", "HISTORY_TTL": "",
    }
    assert "redis://" in (ROOT / ".env.example").read_text()


def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    result = run_python("-m", "bot", cwd=tmp_path, env=python_env(BOT_TOKEN=TOKEN, WEBHOOK_URL="https://x.example"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "WEBHOOK_SECRET" in line and "required" in line


def test_every_variable_is_documented_with_its_default() -> None:
    example = dotenv_values(ROOT / ".env.example")
    readme = (ROOT / "README.md").read_text()
    defaults = Settings.from_env({"BOT_TOKEN": TOKEN})
    for name, info in Settings.model_fields.items():
        variable = str(info.validation_alias or info.alias)
        assert variable in example, variable
        assert f"`{variable}`" in readme, variable
        if example[variable]:  # a line with a value shows the default
            assert Settings.from_env({"BOT_TOKEN": TOKEN, variable: example[variable] or ""}) == defaults, name
