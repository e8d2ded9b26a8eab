"""Compile aiogram's validators when a type is first used, not all of them at import.

`aiogram/types/__init__.py` ends by calling `model_rebuild(_types_namespace=...)` on each of its ~440
types, which compiles a pydantic-core validator and serializer for every one of them: 110 MB of the
bot's RSS and 1.4 s of its start-up (BENCHMARKS.md, measure 3), for the few dozen types a bot ever meets.
The types already declare `defer_build=True`; this hook only postpones that loop. Each call is recorded
instead of run, and whenever pydantic later builds an aiogram model on first use, it gets the very
namespace aiogram passed, so it compiles the schema aiogram's own rebuild would. Every other model in the
process goes straight to pydantic. tests/test_lazy_types.py checks that every aiogram model builds this
way and validates like the eagerly built ones.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pydantic import BaseModel

logger = logging.getLogger(__name__)

_AIOGRAM = "aiogram."


def defer_aiogram_validators() -> bool:
    """Install the hook; False if aiogram was imported already (its types are built by then)."""
    if "aiogram" in sys.modules:
        logger.debug("aiogram is imported already: its types were built eagerly")
        return False
    rebuild = BaseModel.__dict__["model_rebuild"].__func__
    if getattr(rebuild, "_defers_aiogram", False):
        return True
    recorded: dict[str, Any] | None = None  # the namespace aiogram rebuilds its types with

    def model_rebuild(cls: type[BaseModel], **kwargs: Any) -> bool | None:
        nonlocal recorded
        if cls.__module__.startswith(_AIOGRAM):
            namespace = kwargs.get("_types_namespace")
            if namespace is None and recorded is not None:
                kwargs["_types_namespace"] = recorded  # a first use: build as aiogram's loop would have
            elif namespace is not None and kwargs.keys() == {"_types_namespace"}:
                if recorded is None:
                    recorded = namespace
                if namespace is recorded:
                    return None  # aiogram's import-time loop: postponed to first use
        result: bool | None = rebuild(cls, **kwargs)
        return result

    model_rebuild._defers_aiogram = True  # type: ignore[attr-defined]
    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]
    return True


def build_common_types() -> None:
    """Build now what every update needs, so that the first user after a start does not wait ~150 ms."""
    from aiogram.methods.base import Response
    from aiogram.types import Message, Update

    for model in (Update, Response[list[Update]], Response[Message], Response[bool]):
        model.model_rebuild()
