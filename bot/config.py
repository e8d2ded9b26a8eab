"""Settings read from the environment (and a `.env` file) by pydantic-settings, validated once at start-up.

Each field is one environment variable (its name upper-cased, or the alias given), and the bot reads the fields
themselves; `models`, `webhook` and the `storage` value combine or parse a few of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field, NonNegativeInt, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import InitSettingsSource

from .env import (
    DEFAULT_STORAGE,
    DEFAULT_WEBHOOK_PATH,
    HEALTH_PATH,
    LANGUAGES,
    BaseURL,
    ConfigError,
    GroupHistory,
    Host,
    Ids,
    Language,
    LogLevel,
    ModelNames,
    OptionalLimit,
    OptionalModel,
    Personas,
    Port,
    ProviderNames,
    Rate,
    RateSpec,
    Seconds,
    StorageConfig,
    StorageURL,
    Token,
    WebhookPath,
    WebhookSecret,
    WebhookURL,
)

__all__ = ["HEALTH_PATH", "LANGUAGES", "ConfigError", "Rate", "Settings", "StorageConfig", "WebhookConfig"]

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
# Variables whose value must never be echoed in an error, even one pydantic words.
_SECRET_VARIABLES = frozenset({"BOT_TOKEN", "OPENAI_API_KEY", "WEBHOOK_SECRET", "STORAGE_URL"})
# Empty means "off" for these (OptionalModel); for every other variable empty means its default.
_EMPTY_IS_OFF = frozenset({"OPENAI_IMAGE_MODEL", "OPENAI_IMAGE_EDIT_MODEL", "OPENAI_TRANSCRIBE_MODEL"})
_NOT_SET = {"BOT_TOKEN": "is not set; get a token from @BotFather and put it in .env"}


@dataclass(frozen=True, kw_only=True)
class WebhookConfig:
    """Webhook mode, when WEBHOOK_URL is set (its secret then is too): Telegram posts to `url` (a TLS proxy in
    front, usually); we listen on host:port and serve `path`."""

    base_url: str
    secret: SecretStr
    path: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return self.base_url + self.path


class Settings(BaseSettings):
    """`Settings()` reads the environment, then `.env`; `Settings(field=...)` in code takes only what it is given."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, alias_generator=str.upper, validate_by_name=True,
        validate_by_alias=True, enable_decoding=False, hide_input_in_errors=True,
    )

    bot_token: Token
    telegram_api_url: BaseURL | None = None
    aichats_url: BaseURL = "https://ai-chats.org"
    storage: StorageURL = Field(DEFAULT_STORAGE, validation_alias="STORAGE_URL")
    history_ttl: PositiveInt | None = None  # seconds after its last turn that a conversation is forgotten (Redis)
    history_limit: PositiveInt = 20
    history_chars: PositiveInt = 24000
    history_images: NonNegativeInt = 2
    group_history: GroupHistory = "shared"
    max_prompt_chars: PositiveInt = 4000
    max_document_chars: PositiveInt = 30000
    max_image_bytes: PositiveInt = 10 * 1024 * 1024
    max_images_per_draw: Annotated[int, Field(ge=1, le=10)] = 4
    log_level: LogLevel = "INFO"
    default_language: Language | None = None  # None: each user's own Telegram language
    personas: Personas = Field(  # name -> prompt, read-only; empty without PERSONAS_FILE
        default_factory=lambda: MappingProxyType({}), validation_alias="PERSONAS_FILE", repr=False)
    streaming: bool = True
    draft_interval: Seconds = 0.75
    edit_interval: Seconds = Field(3.0, validation_alias="GROUP_EDIT_INTERVAL")
    shutdown_timeout: Seconds = 25.0

    provider_names: ProviderNames = Field(("aichats",), validation_alias="PROVIDERS")
    openai_base_url: BaseURL = DEFAULT_OPENAI_URL
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    openai_models: ModelNames | None = None  # wins over OPENAI_MODEL when set
    openai_image_model: OptionalModel = "dall-e-3"
    openai_image_edit_model: OptionalModel = "gpt-image-1"
    openai_transcribe_model: OptionalModel = "whisper-1"
    openai_vision: bool = True
    system_prompt: str | None = None

    allowed_users: Ids = frozenset()
    allowed_chats: Ids = frozenset()
    admins: Ids = frozenset()
    ask_rate: RateSpec = Rate(10, 60)
    draw_rate: RateSpec = Rate(3, 60)
    group_draw_rate: RateSpec = Rate(20, 3600)
    daily_tokens: OptionalLimit = None  # per user per day; None (0 or unset): unlimited
    max_concurrent_requests: PositiveInt = 32
    provider_timeout: Seconds = 120.0

    webhook_url: WebhookURL | None = None  # http only for a local Bot API server
    webhook_secret: WebhookSecret | None = None
    webhook_path: WebhookPath = DEFAULT_WEBHOOK_PATH
    web_server_host: Host = "127.0.0.1"
    web_server_port: Port = 8080

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Built in code (tests): exactly the arguments, nothing leaks in from the process or a .env file.
        if isinstance(init_settings, InitSettingsSource) and init_settings.init_kwargs:
            return (init_settings,)
        return env_settings, dotenv_settings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """From `env` alone, or (None) from the process environment and `.env`; raises ConfigError."""
        try:
            if env is None:
                return cls()
            # BOT_TOKEN="" (unset) first: with no arguments at all, Settings() would read the process environment.
            given: dict[str, Any] = {name: value for name, value in env.items() if name in _VARIABLES}
            return cls(**{"BOT_TOKEN": "", **given})
        except ValidationError as error:
            raise _config_error(error.errors(include_url=False)[0]) from None

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = {name: value.strip() if isinstance(value, str) else value for name, value in data.items()}
        return {name: value for name, value in data.items() if value != "" or name.upper() in _EMPTY_IS_OFF}

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.history_ttl and self.storage.kind != "redis":
            raise ConfigError("HISTORY_TTL", "only the Redis store expires conversations; set STORAGE_URL=redis://...")
        if self.webhook_url and self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET",
                "is required in webhook mode (WEBHOOK_URL is set): 1-256 characters of A-Z, a-z, 0-9, _ -",
            )
        keyless = self.openai_api_key is None and self.openai_base_url == DEFAULT_OPENAI_URL
        if "openai" in self.provider_names and keyless:
            raise ConfigError("OPENAI_API_KEY", "is required for api.openai.com (or set OPENAI_BASE_URL)")
        return self

    @property
    def models(self) -> tuple[str, ...]:
        """The chat models of the OpenAI-compatible provider (/model offers them): OPENAI_MODELS, else
        OPENAI_MODEL. Never empty; the first is the default."""
        return self.openai_models or (self.openai_model,)

    @cached_property
    def webhook(self) -> WebhookConfig | None:
        """None: long polling. Every webhook variable is checked even then."""
        if self.webhook_url is None or self.webhook_secret is None:
            return None
        return WebhookConfig(base_url=self.webhook_url, secret=self.webhook_secret, path=self.webhook_path,
                             host=self.web_server_host, port=self.web_server_port)


# Each field's environment variable, also under the field's own name (errors of settings built in code).
_VARIABLES = {name: variable for field_name, info in Settings.model_fields.items()
              for variable in [str(info.validation_alias or info.alias)] for name in (field_name, variable)}


def _config_error(error: ErrorDetails) -> ConfigError:
    """One line naming the variable; a value is echoed only by our own messages, never for a secret."""
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return cause
    variable = _VARIABLES.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else "settings"
    if error["type"] == "missing":
        return ConfigError(variable, _NOT_SET.get(variable, "is not set"))
    if isinstance(cause, ValueError):
        return ConfigError(variable, str(cause))
    problem = error["msg"][:1].lower() + error["msg"][1:]
    if variable not in _SECRET_VARIABLES and isinstance(error.get("input"), str):
        problem += f", got {error['input']!r}"
    return ConfigError(variable, problem)
