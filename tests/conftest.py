"""Fixtures shared by every test package: a real Redis and per-test key namespaces in it."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator

import pytest

import bot  # noqa: F401  (first: the tests see aiogram's types built on first use, as the bot does)
from tests.redis_server import NO_REDIS, delete_keys, redis_for_tests


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set (it must answer), else a throwaway redis-server; skipped only outside CI."""
    with redis_for_tests() as url:
        if url is None:
            if os.environ.get("CI"):
                pytest.fail(NO_REDIS + " (CI must not skip the Redis tests; see .ci/run)")
            pytest.skip(NO_REDIS)
        yield url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"test:{uuid.uuid4().hex[:12]}"
    yield prefix
    delete_keys(redis_url, prefix + ":")


@pytest.fixture
def bot_id(redis_url: str) -> Iterator[int]:
    """A fresh bot id for a bot storing in Redis: its keys (`aichats:<id>:...`) are its own and deleted afterwards."""
    value = random.randrange(10**9, 10**10)
    yield value
    delete_keys(redis_url, f"aichats:{value}:")
