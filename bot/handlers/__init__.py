"""Handlers: one module per command, each building its own router."""

from __future__ import annotations

from aiogram import Router

from . import ask, cancel, draw, errors, fallback, media, model, persona, reset, retry, start, stats, usage


def build_router() -> Router:
    """A fresh router tree: a module-level router could be attached to one parent only."""
    router = Router(name="handlers")
    router.include_routers(
        start.build_router(),
        media.build_router(),  # before ask: "/ask" replying to a photo or a document is a media question
        ask.build_router(),
        draw.build_router(),
        cancel.build_router(),
        reset.build_router(),
        model.build_router(),
        persona.build_router(),
        retry.build_router(),
        usage.build_router(),
        stats.build_router(),
        fallback.build_router(),
        errors.build_router(),
    )
    return router
