"""Configuration: defaults, parsing, and clear failures that name the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, StorageConfig

TOKEN = "123456:AAH-test_token"
ROOT = Path(__file__).resolve().parents[1]


def test_defaults() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN})
    assert s.aichats_url == "https://ai-chats.org"
    assert s.storage == StorageConfig("sqlite", Path("data/bot.sqlite3"))
    assert (s.history_limit, s.max_prompt_chars, s.log_level) == (20, 4000, "INFO")
    assert s.telegram_api_url is None


def test_values_parsed() -> None:
    s = Settings.from_env({
        "BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:8081/", "AICHATS_URL": "http://x:1/",
        "STORAGE_URL": "sqlite:////var/lib/bot/h.sqlite3", "HISTORY_LIMIT": "8", "MAX_PROMPT_CHARS": "10",
        "LOG_LEVEL": "debug",
    })
    assert s.telegram_api_url == "http://127.0.0.1:8081"
    assert s.aichats_url == "http://x:1"
    assert s.storage == StorageConfig("sqlite", Path("/var/lib/bot/h.sqlite3"))
    assert (s.history_limit, s.max_prompt_chars, s.log_level) == (8, 10, "DEBUG")
    assert Settings.from_env({"BOT_TOKEN": TOKEN, "STORAGE_URL": "memory://"}).storage.kind == "memory"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "not a token"}, "BOT_TOKEN"),
        ({"BOT_TOKEN": TOKEN, "HISTORY_LIMIT": "ten"}, "HISTORY_LIMIT"),
        ({"BOT_TOKEN": TOKEN, "MAX_PROMPT_CHARS": "-1"}, "MAX_PROMPT_CHARS"),
        ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "mongodb://x"}, "STORAGE_URL"),
        ({"BOT_TOKEN": TOKEN, "AICHATS_URL": "ai-chats.org"}, "AICHATS_URL"),
        ({"BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable)


@pytest.mark.parametrize(
    ("env", "variable"),
    [({}, "BOT_TOKEN"), ({"BOT_TOKEN": TOKEN, "HISTORY_LIMIT": "x"}, "HISTORY_LIMIT"),
     ({"BOT_TOKEN": TOKEN, "STORAGE_URL": "ftp://x"}, "STORAGE_URL")],
)
def test_entry_point_exits_2_with_one_line(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=123:abc\nHISTORY_LIMIT=zero\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "HISTORY_LIMIT" in result.stderr


def test_provider_chain_settings() -> None:
    s = Settings.from_env({
        "BOT_TOKEN": TOKEN, "PROVIDERS": " OpenAI , aichats", "OPENAI_BASE_URL": "http://localhost:11434/v1/",
        "OPENAI_MODEL": "llama3.2", "OPENAI_IMAGE_MODEL": "", "SYSTEM_PROMPT": " Be terse. ",
    })
    p = s.providers
    assert p.names == ("openai", "aichats")
    assert (p.openai_base_url, p.openai_model, p.openai_image_model) == ("http://localhost:11434/v1", "llama3.2", None)
    assert (p.openai_api_key, p.system_prompt) == (None, "Be terse.")
    assert Settings.from_env({"BOT_TOKEN": TOKEN}).providers.names == ("aichats",)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "PROVIDERS": "openai", "OPENAI_API_KEY": "sk-secret-value"})
    assert s.providers.openai_api_key is not None
    assert s.providers.openai_api_key.get_secret_value() == "sk-secret-value"
    assert "sk-secret-value" not in repr(s) and TOKEN not in repr(s)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PROVIDERS": "openai,gemini"}, "PROVIDERS"),
        ({"PROVIDERS": "aichats,aichats"}, "PROVIDERS"),
        ({"PROVIDERS": " , "}, "PROVIDERS"),
        ({"PROVIDERS": "openai"}, "OPENAI_API_KEY"),
        ({"PROVIDERS": "openai", "OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"),
    ],
)
def test_bad_provider_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"BOT_TOKEN": TOKEN, **env})
    assert info.value.variable == variable


def test_guard_settings() -> None:
    s = Settings.from_env({
        "BOT_TOKEN": TOKEN, "ALLOWED_USERS": "1, 2", "ALLOWED_CHATS": "-100123", "ADMINS": "9",
        "ASK_RATE": "5 per hour", "DRAW_RATE": "1/day", "MAX_CONCURRENT_REQUESTS": "4", "PROVIDER_TIMEOUT": "30",
    }).guards
    assert (s.allowed_users, s.allowed_chats, s.admins) == ({1, 2}, {-100123}, {9})
    assert (str(s.ask_rate), str(s.draw_rate), s.max_concurrent_requests, s.provider_timeout) == ("5/h", "1/day", 4, 30)
    assert s.allows(1, 5) and s.allows(9, 5) and s.allows(3, -100123) and not s.allows(3, 5)
    defaults = Settings.from_env({"BOT_TOKEN": TOKEN}).guards
    assert (str(defaults.ask_rate), str(defaults.draw_rate)) == ("10/min", "3/min")
    assert defaults.max_concurrent_requests == 32
    assert defaults.allows(12345, 12345)  # no lists: everyone


@pytest.mark.parametrize(
    ("env", "variable"),
    [({"ALLOWED_USERS": "alice"}, "ALLOWED_USERS"), ({"ADMINS": "1;2"}, "ADMINS"),
     ({"ASK_RATE": "10"}, "ASK_RATE"), ({"DRAW_RATE": "0/min"}, "DRAW_RATE"),
     ({"MAX_CONCURRENT_REQUESTS": "0"}, "MAX_CONCURRENT_REQUESTS"), ({"PROVIDER_TIMEOUT": "soon"}, "PROVIDER_TIMEOUT")],
)
def test_bad_guard_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"BOT_TOKEN": TOKEN, **env})
    assert info.value.variable == variable


def test_an_unknown_storage_url_is_not_echoed_whole() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"BOT_TOKEN": TOKEN, "STORAGE_URL": "redis+sentinel://:hunter2@host:26379/0"})
    assert "redis+sentinel" in str(info.value) and "hunter2" not in str(info.value)
