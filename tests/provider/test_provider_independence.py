"""The provider package stands alone: no bot, no aiogram, only the standard library and aiohttp."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.helpers import ROOT, python_env, run_python

PACKAGE = ROOT / "provider"


def test_importing_provider_leaves_aiogram_and_bot_out() -> None:
    code = (
        "import pkgutil, sys, importlib, provider\n"
        "for info in pkgutil.walk_packages(provider.__path__, 'provider.'):\n"
        "    importlib.import_module(info.name)\n"
        "from provider import AiChats, ImageResponse, ProviderError, format_prompt\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('aiogram', 'bot'))\n"
        "print(provider.__file__)\n"
        "print(leaked)\n"
    )
    result = run_python("-c", code, env=python_env())
    assert result.returncode == 0, result.stderr
    file_line, leaked_line = result.stdout.splitlines()
    assert Path(file_line).resolve() == PACKAGE / "__init__.py"
    assert leaked_line == "[]"


def _imports(path: Path) -> set[str]:
    """Top-level names of absolute imports in a module (relative imports stay inside the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_stdlib_and_aiohttp_are_imported() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        outside = _imports(path) - set(sys.stdlib_module_names) - {"aiohttp", "__future__"}
        assert not outside, f"{path.name} imports {outside}"


def test_the_package_never_prints() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        printed = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        ]
        assert not printed, f"{path.name} calls print() on lines {printed}"
