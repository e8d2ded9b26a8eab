"""The provider chain named by `PROVIDERS`, built once so its circuit breakers and counters are shared."""

from __future__ import annotations

from provider import AiChats, AsyncGeneratorProvider, FallbackProvider, OpenAICompatible

from ..config import Settings


def build_chain(settings: Settings) -> FallbackProvider:
    members: list[type[AsyncGeneratorProvider]] = []
    for name in settings.provider_names:
        if name == "aichats":
            members.append(AiChats.with_base_url(settings.aichats_url))
        elif name == "openai":
            members.append(
                OpenAICompatible.configure(
                    settings.openai_base_url,
                    api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
                    model=settings.models[0],
                    chat_models=settings.models,  # a conversation may pick one (/model)
                    image_model=settings.openai_image_model,
                    image_edit_model=settings.openai_image_edit_model,
                    vision=settings.openai_vision,
                    transcribe_model=settings.openai_transcribe_model,
                )
            )
    return FallbackProvider(members)
