"""Helpers shared by the tests: paths, real images, free ports and child Python processes."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]  # the repository
DATA = ROOT / "tests" / "data"


def image_bytes(
    fmt: str = "PNG", width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 90)
) -> bytes:
    """A small but real image (PNG, JPEG, WEBP, GIF), so code that decodes pictures has something genuine."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format=fmt)
    return buf.getvalue()


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    return image_bytes("PNG", width, height, color)


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago: nothing listens there now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_env(**env: str) -> dict[str, str]:
    """A clean environment for a child Python: only PATH, the repository on PYTHONPATH, and ``env``."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), **env}


def run_python(
    *args: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``python *args`` in a child process, its output as text; the exit code is the caller's to check.

    ``env=None`` inherits this process's environment; pass ``python_env(...)`` for a clean one.
    """
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
