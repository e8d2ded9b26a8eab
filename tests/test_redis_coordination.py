"""What replicas coordinate through Redis: one turn of a conversation at a time, and each update handled once.

Each "replica" here has its own Redis client, as separate processes would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from bot.middlewares.redelivery import SkipRedelivered
from bot.services.locks import ConversationBusy
from bot.services.replicas import RedisLocks
from bot.storage import ConversationKey
from bot.storage.redis import connect_redis
from tests.helpers import free_port

KEY = ConversationKey(42, 0)


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    made = [connect_redis(redis_url) for _ in range(2)]
    yield made
    for client in made:
        await client.aclose()


async def test_two_replicas_never_hold_one_conversation_at_once(clients: list[Redis], redis_prefix: str) -> None:
    replicas = [RedisLocks(client, redis_prefix, poll=0.01) for client in clients]
    holding: list[int] = []
    events: list[str] = []

    async def turn(locks: RedisLocks, n: int) -> None:
        async with locks.hold(KEY):
            holding.append(n)
            assert len(holding) == 1, f"turns {holding} overlap"
            events.append(f"start {n}")
            await asyncio.sleep(0.02)
            events.append(f"end {n}")
            holding.remove(n)

    await asyncio.gather(*(turn(replicas[n % 2], n) for n in range(8)))

    assert len(events) == 16
    assert all(events[i].split()[1] == events[i + 1].split()[1] for i in range(0, 16, 2))


async def test_other_conversations_do_not_wait(clients: list[Redis], redis_prefix: str) -> None:
    first, second = (RedisLocks(client, redis_prefix) for client in clients)
    async with first.hold(KEY), asyncio.timeout(1), second.hold(ConversationKey(42, 9)):  # another topic
        pass


async def test_a_long_turn_keeps_its_lock_past_the_ttl(clients: list[Redis], redis_prefix: str) -> None:
    holder, waiter = (RedisLocks(client, redis_prefix, ttl=0.2, poll=0.01) for client in clients)
    order: list[str] = []
    held = asyncio.Event()

    async def long_turn() -> None:
        async with holder.hold(KEY):
            order.append("long starts")
            held.set()
            await asyncio.sleep(0.6)  # three times the lock's ttl: renewal must keep it
            order.append("long ends")

    async def next_turn() -> None:
        await held.wait()
        async with waiter.hold(KEY):
            order.append("next")

    await asyncio.gather(long_turn(), next_turn())
    assert order == ["long starts", "long ends", "next"]
    assert not await clients[0].exists(holder.name(KEY))  # released, not left to expire


async def test_a_dead_replicas_lock_expires(clients: list[Redis], redis_prefix: str) -> None:
    locks = RedisLocks(clients[1], redis_prefix, ttl=0.3, poll=0.01)
    orphan = Lock(clients[0], locks.name(KEY), timeout=0.3, thread_local=False)
    assert await orphan.acquire(blocking=False)  # taken, never renewed nor released: the holder "died"
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with locks.hold(KEY):
        waited = loop.time() - started
    assert 0.1 < waited < 1.0


async def test_a_turn_gives_up_after_waiting_too_long(clients: list[Redis], redis_prefix: str) -> None:
    holder = RedisLocks(clients[0], redis_prefix)
    impatient = RedisLocks(clients[1], redis_prefix, wait=0.2, poll=0.01)
    async with holder.hold(KEY):
        with pytest.raises(ConversationBusy):
            async with impatient.hold(KEY):
                pytest.fail("got a lock another replica holds")


def update(update_id: int) -> Update:
    return Update.model_validate({"update_id": update_id})


async def test_an_update_is_handled_once_whichever_replica_gets_it(clients: list[Redis], redis_prefix: str) -> None:
    replicas = [SkipRedelivered(client, redis_prefix, ttl=60) for client in clients]
    handled: list[tuple[int, int]] = []

    def handler_of(replica: int) -> Any:
        async def handler(event: Any, data: dict[str, Any]) -> str:
            handled.append((replica, event.update_id))
            return "done"
        return handler

    results = await asyncio.gather(*(
        replicas[r](handler_of(r), update(uid), {}) for uid in (501, 502) for r in (0, 1, 0)
    ))

    assert sorted(uid for _, uid in handled) == [501, 502]
    assert sorted(results, key=str).count("done") == 2 and results.count(UNHANDLED) == 4
    assert 0 < await clients[0].ttl(f"{redis_prefix}:update:501") <= 60


async def test_redelivery_check_fails_open_when_redis_is_down(redis_prefix: str) -> None:
    dead = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    handled: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        handled.append(event.update_id)

    await SkipRedelivered(dead, redis_prefix)(handler, update(7), {})
    assert handled == [7]
    await dead.aclose()
