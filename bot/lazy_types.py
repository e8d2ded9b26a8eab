"""Import aiogram with its types compiled on first use instead of all at import: an opt-in for entry points.

`aiogram/types/__init__.py` ends by calling `model_rebuild(_types_namespace=...)` on each of its ~440
types, which compiles a pydantic-core validator and serializer for every one of them, for the few dozen
types a bot ever meets (the cost is in BENCHMARKS.md, measure 3 and start-up). The types already declare
`defer_build=True`; `import_aiogram_lazily` only skips that loop:

- For the duration of `import aiogram` and nothing else, `BaseModel.model_rebuild` is replaced by a
  wrapper that records aiogram's loop instead of running it. Every other call goes through unchanged,
  with one more frame to skip when pydantic looks for the caller's namespace. The original is put back
  before the function returns, so no model of any other code ever meets the wrapper afterwards.
- Each skipped type gets the namespace aiogram's loop would have passed as its
  `__pydantic_parent_namespace__`, pydantic's own record of "where this model's annotations are
  resolved" (BaseModel documents it), so that pydantic's first-use rebuild resolves the same names
  and compiles the schema aiogram's loop would have.

This changes aiogram's types for the whole process, so `bot` never does it on import: `python -m bot`
(bot/__main__.py) and the benchmarks call it before anything imports aiogram. tests/test_lazy_types.py
checks that every aiogram model builds this way and validates like the eagerly built ones, and that
models of other code behave exactly as in an interpreter without the bot.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pydantic import BaseModel

logger = logging.getLogger(__name__)

_AIOGRAM = "aiogram."


def import_aiogram_lazily() -> bool:
    """Import aiogram, leaving its types to be built on first use, then build the few every update needs.

    False (and nothing done) if aiogram was imported already: its types were built eagerly then.
    """
    if "aiogram" in sys.modules:
        logger.debug("aiogram is imported already: its types were built eagerly")
        return False
    original = BaseModel.__dict__["model_rebuild"]
    rebuild = original.__func__
    deferred: list[type[BaseModel]] = []
    namespace: dict[str, Any] | None = None  # the one aiogram's loop passes to each of its types

    def model_rebuild(cls: type[BaseModel], **kwargs: Any) -> bool | None:
        nonlocal namespace
        if cls.__module__.startswith(_AIOGRAM):
            passed = kwargs.get("_types_namespace")
            if passed is not None and kwargs.keys() == {"_types_namespace"}:
                namespace = passed if namespace is None else namespace
                if passed is namespace:
                    deferred.append(cls)
                    return None  # aiogram's import-time loop: postponed to first use
            elif passed is None and namespace is not None:
                kwargs["_types_namespace"] = namespace  # a first use before the import is over
        if kwargs.get("_parent_namespace_depth", 2) > 0:  # the caller's frame is one further out than usual
            kwargs["_parent_namespace_depth"] = kwargs.get("_parent_namespace_depth", 2) + 1
        result: bool | None = rebuild(cls, **kwargs)
        return result

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]  # during the import only
    try:
        import aiogram.methods
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]  # the very object pydantic defined
    for cls in deferred:
        cls.__pydantic_parent_namespace__ = namespace
        _lend_names(cls, namespace or {})
    _build_common_types()
    return True


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _lend_names(cls: type[BaseModel], namespace: dict[str, Any]) -> None:
    """Put into the modules of `cls` and of its aiogram bases the names of the namespace their annotations
    use: a model built as part of another one (a `Message` inside an `Update`) is resolved with its own
    module's globals, where aiogram imports its neighbours only for type checkers. Only the names used,
    not the whole namespace: ~600 names in each of ~440 modules would cost 5 MB of module dicts."""
    aiogram_classes = [klass for klass in cls.__mro__ if klass.__module__.startswith(_AIOGRAM)]
    names = {
        name
        for klass in aiogram_classes
        for annotation in vars(klass).get("__annotations__", {}).values()
        for name in _IDENTIFIER.findall(annotation if isinstance(annotation, str) else str(annotation))
        if name in namespace
    }
    # A subclass's fields include its bases' annotations, which pydantic resolves in the subclass's module.
    for klass in aiogram_classes:
        module = vars(sys.modules[klass.__module__])
        for name in names:
            module.setdefault(name, namespace[name])


def _build_common_types() -> None:
    """Build now what every update needs, so that the first user after a start does not wait ~150 ms."""
    from aiogram.methods.base import Response
    from aiogram.types import Message, Update

    for model in (Update, Response[list[Update]], Response[Message], Response[bool]):
        model.model_rebuild()
