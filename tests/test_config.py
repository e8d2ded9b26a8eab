"""Configuration: defaults, parsing, and clear failures that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.__main__ import _secrets
from bot.config import ConfigError, Rate, Settings, StorageConfig
from tests.helpers import python_env, run_python
from tests.settings import changed

TOKEN = "123456:AAH-test_token"


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
    result = run_python("-m", "bot", cwd=tmp_path, env=python_env(**env))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=123:abc\nHISTORY_LIMIT=zero\n")
    result = run_python("-m", "bot", cwd=tmp_path, env=python_env())
    assert result.returncode == 2
    assert "HISTORY_LIMIT" in result.stderr


def test_provider_chain_settings() -> None:
    s = Settings.from_env({
        "BOT_TOKEN": TOKEN, "PROVIDERS": " OpenAI , aichats", "OPENAI_BASE_URL": "http://localhost:11434/v1/",
        "OPENAI_MODEL": "llama3.2", "OPENAI_IMAGE_MODEL": "", "SYSTEM_PROMPT": " Be terse. ",
    })
    assert s.provider_names == ("openai", "aichats")
    assert (s.openai_base_url, s.models, s.openai_image_model) == ("http://localhost:11434/v1", ("llama3.2",), None)
    assert (s.openai_api_key, s.system_prompt) == (None, "Be terse.")
    assert Settings.from_env({"BOT_TOKEN": TOKEN}).provider_names == ("aichats",)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "PROVIDERS": "openai", "OPENAI_API_KEY": "sk-secret-value"})
    assert s.openai_api_key is not None
    assert s.openai_api_key.get_secret_value() == "sk-secret-value"
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
    })
    assert (s.allowed_users, s.allowed_chats, s.admins) == ({1, 2}, {-100123}, {9})
    assert (str(s.ask_rate), str(s.draw_rate), s.max_concurrent_requests, s.provider_timeout) == ("5/h", "1/day", 4, 30)
    defaults = Settings.from_env({"BOT_TOKEN": TOKEN})
    assert (str(defaults.ask_rate), str(defaults.draw_rate)) == ("10/min", "3/min")
    assert (defaults.allowed_users, defaults.allowed_chats, defaults.max_concurrent_requests) == (set(), set(), 32)


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


def test_new_settings_defaults() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN})
    assert (s.shutdown_timeout, s.max_image_bytes, s.history_images, s.max_document_chars) == (25, 10485760, 2, 30000)
    assert (s.group_history, s.history_chars, s.max_images_per_draw, dict(s.personas)) == ("shared", 24000, 4, {})
    assert (s.openai_vision, s.openai_transcribe_model, s.openai_image_edit_model) == (True, "whisper-1", "gpt-image-1")
    assert s.models == ("gpt-4o-mini",)
    assert (str(s.group_draw_rate), s.daily_tokens) == ("20/h", None)


def test_new_settings_parsed() -> None:
    s = Settings.from_env({
        "BOT_TOKEN": TOKEN, "SHUTDOWN_TIMEOUT": "5.5", "MAX_IMAGE_BYTES": "1000", "HISTORY_IMAGES": "0",
        "OPENAI_VISION": "off", "OPENAI_TRANSCRIBE_MODEL": "", "MAX_DOCUMENT_CHARS": "99", "GROUP_HISTORY": "Per_User",
        "HISTORY_CHARS": "500", "DAILY_TOKENS": "20000", "OPENAI_IMAGE_EDIT_MODEL": " ", "MAX_IMAGES_PER_DRAW": "10",
        "GROUP_DRAW_RATE": "5/day", "OPENAI_MODELS": " gpt-4o , gpt-4o-mini,", "OPENAI_MODEL": "ignored",
    })
    assert (s.shutdown_timeout, s.max_image_bytes, s.history_images, s.max_document_chars) == (5.5, 1000, 0, 99)
    assert (s.group_history, s.history_chars, s.max_images_per_draw) == ("per_user", 500, 10)
    assert (s.openai_vision, s.openai_transcribe_model, s.openai_image_edit_model) == (False, None, None)
    assert s.models == ("gpt-4o", "gpt-4o-mini")  # OPENAI_MODELS wins; the first is the default
    assert (str(s.group_draw_rate), s.daily_tokens) == ("5/day", 20000)
    assert Settings.from_env({"BOT_TOKEN": TOKEN, "DAILY_TOKENS": "0"}).daily_tokens is None  # unlimited
    assert Settings.from_env({"BOT_TOKEN": TOKEN, "OPENAI_MODEL": "llama3.2"}).models == ("llama3.2",)


PERSONAS = 'Pirate = "Talk like a pirate."\n"Кот учёный" = """Answer\nin verse."""\n'


def test_personas_file_is_read_once_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "personas.toml").write_text(PERSONAS, encoding="utf-8")
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "PERSONAS_FILE": str(tmp_path / "personas.toml")})
    assert dict(s.personas) == {"Pirate": "Talk like a pirate.", "Кот учёный": "Answer\nin verse."}
    with pytest.raises(TypeError):
        s.personas["Pirate"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize(
    "content",
    ['Pirate = "Talk like', 'Pirate = ""', 'Pirate = 3', "[Pirate]\nprompt = 'x'", f'"{"n" * 33}" = "x"',
     f'Pirate = "{"x" * 2001}"', '" " = "x"'],
)
def test_bad_personas_file_names_the_variable(tmp_path: Path, content: str) -> None:
    (tmp_path / "personas.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^PERSONAS_FILE: "):
        Settings.from_env({"BOT_TOKEN": TOKEN, "PERSONAS_FILE": str(tmp_path / "personas.toml")})
    with pytest.raises(ConfigError, match=r"^PERSONAS_FILE: cannot read"):
        Settings.from_env({"BOT_TOKEN": TOKEN, "PERSONAS_FILE": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TELEGRAM_API_URL", "localhost:8081"), ("STREAMING", "maybe"), ("DRAFT_INTERVAL", "0"),
     ("GROUP_EDIT_INTERVAL", "inf"), ("DEFAULT_LANGUAGE", "de"), ("ALLOWED_CHATS", "-100x"), ("SHUTDOWN_TIMEOUT", "-1"),
     ("SHUTDOWN_TIMEOUT", "soon"), ("MAX_IMAGE_BYTES", "0"), ("MAX_IMAGE_BYTES", "10MB"), ("HISTORY_IMAGES", "-1"),
     ("OPENAI_VISION", "sometimes"), ("MAX_DOCUMENT_CHARS", "0"), ("GROUP_HISTORY", "per_chat"),
     ("HISTORY_CHARS", "0"), ("DAILY_TOKENS", "-5"), ("DAILY_TOKENS", "lots"), ("MAX_IMAGES_PER_DRAW", "0"),
     ("MAX_IMAGES_PER_DRAW", "11"), ("GROUP_DRAW_RATE", "20"), ("OPENAI_MODELS", " , ")],
)
def test_every_variable_names_itself_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"BOT_TOKEN": TOKEN, variable: value})
    assert info.value.variable == variable
    assert str(info.value).startswith(f"{variable}: ") and "\n" not in str(info.value)


def test_errors_from_pydantic_read_like_ours() -> None:
    with pytest.raises(ConfigError, match=r"^HISTORY_LIMIT: input should be a valid integer.*, got 'ten'$"):
        Settings.from_env({"BOT_TOKEN": TOKEN, "HISTORY_LIMIT": "ten"})
    with pytest.raises(ConfigError, match=r"^BOT_TOKEN: is not set; get a token from @BotFather"):
        Settings.from_env({"BOT_TOKEN": "  "})


def test_secret_values_are_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"BOT_TOKEN": "12:ab cd"})
    assert "ab cd" not in str(info.value)
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-secret-value", "WEBHOOK_URL": "https://x.example",
                           "WEBHOOK_SECRET": "hook-secret", "STORAGE_URL": "redis://:hunter2@h:6379/0"})
    shown = repr(s) + str(s) + repr(s.webhook) + repr(s.storage)
    for secret in (TOKEN, "sk-secret-value", "hook-secret", "hunter2"):
        assert secret not in shown


def test_log_redaction_gets_every_secret() -> None:
    s = Settings.from_env({"BOT_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-secret-value", "WEBHOOK_URL": "https://x.example",
                           "WEBHOOK_SECRET": "hook-secret", "STORAGE_URL": "redis://:hunter2@h:6379/0"})
    assert set(_secrets(s)) >= {TOKEN, "sk-secret-value", "hook-secret", "hunter2"}


def test_settings_built_in_code_ignore_the_environment_and_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("HISTORY_LIMIT=7\nPROVIDERS=openai\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAX_PROMPT_CHARS", "9")
    s = Settings(bot_token=TOKEN, storage=StorageConfig("memory"))
    assert (s.history_limit, s.max_prompt_chars, s.provider_names) == (20, 4000, ("aichats",))
    assert Settings.from_env({"BOT_TOKEN": TOKEN}).history_limit == 20
    with pytest.raises(ConfigError, match=r"^BOT_TOKEN"):
        Settings.from_env({})
    variant = changed(s, history_limit=3, ask_rate=Rate(1, 60))
    assert (variant.history_limit, variant.ask_rate, variant.storage.kind) == (3, Rate(1, 60), "memory")
    with pytest.raises(ValidationError):
        changed(s, history_limit=0)


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nHISTORY_LIMIT=7\nMAX_PROMPT_CHARS=8\nUNRELATED=1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAX_PROMPT_CHARS", "9")
    s = Settings.from_env()
    assert (s.bot_token.get_secret_value(), s.history_limit, s.max_prompt_chars) == (TOKEN, 7, 9)


def test_a_bad_value_stops_the_bot_before_aiogram_is_imported(tmp_path: Path) -> None:
    probe = ("import runpy, sys\ntry:\n    runpy.run_module('bot', run_name='__main__')\n"
             "except SystemExit as exit:\n    print(exit.code, 'aiogram' in sys.modules)\n")
    result = run_python(
        "-c", probe, cwd=tmp_path, env=python_env(BOT_TOKEN=TOKEN, MAX_IMAGES_PER_DRAW="50")
    )
    assert result.stdout.split() == ["2", "False"], result.stderr
    assert result.stderr.startswith("Configuration error: MAX_IMAGES_PER_DRAW: ")
