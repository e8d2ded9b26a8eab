"""A real Redis for the tests: the one REDIS_URL names, or a throwaway `redis-server` on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bot.storage.redis import redacted
from tests.helpers import free_port

NO_REDIS = (
    "Redis tests need a Redis server: set REDIS_URL=redis://host:port/db, or put redis-server on PATH "
    "(Debian/Ubuntu: apt-get install redis-server)"
)


def answers(url: str, within: float = 0.0) -> bool:
    """PING `url`, retrying for `within` seconds."""
    deadline = time.monotonic() + within
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        while True:
            try:
                return bool(client.ping())
            except (redis.RedisError, OSError):
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def throwaway_redis(executable: str) -> Iterator[str]:
    """`redis-server` on a free port, in memory only; killed on exit."""
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        if not answers(url, within=10):
            raise RuntimeError(f"redis-server on port {port} did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def redis_for_tests() -> Iterator[str | None]:
    """The URL of a Redis to test against, or None (with NO_REDIS as the reason) when there is none."""
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        if not answers(url, within=5):
            raise RuntimeError(f"REDIS_URL={redacted(url)} does not answer PING")
        yield url
        return
    executable = shutil.which("redis-server")
    if executable is None:
        yield None
        return
    with throwaway_redis(executable) as started:
        yield started


def delete_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
