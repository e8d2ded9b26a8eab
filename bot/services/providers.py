"""The provider chain named by `PROVIDERS`, built once so its circuit breakers and counters are shared."""

from __future__ import annotations

from provider import AiChats, AsyncGeneratorProvider, FallbackProvider, OpenAICompatible

from ..config import Settings


def build_chain(settings: Settings) -> FallbackProvider:
    config = settings.providers
    members: list[type[AsyncGeneratorProvider]] = []
    for name in config.names:
        if name == "aichats":
            members.append(AiChats.with_base_url(settings.aichats_url))
        elif name == "openai":
            members.append(
                OpenAICompatible.configure(
                    config.openai_base_url,
                    api_key=config.openai_api_key.get_secret_value() if config.openai_api_key else None,
                    model=config.openai_model,
                    chat_models=config.openai_models,  # a conversation may pick one (/model)
                    image_model=config.openai_image_model,
                    image_edit_model=config.openai_image_edit_model,
                    vision=config.openai_vision,
                    transcribe_model=config.openai_transcribe_model,
                )
            )
    return FallbackProvider(members)
