"""/cancel across replicas: a Redis pub/sub channel per bot, `<namespace>:cancel`.

The replica that gets /cancel stops its own work in that conversation and publishes the request; every
replica stops its work there and, if it had some, publishes an acknowledgement. The asking replica only
says "nothing to cancel" when none came within `ack_wait` seconds. Imported only with Redis as the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..storage import ConversationKey
from .cancel import Cancellations

logger = logging.getLogger(__name__)


class RedisCancellations(Cancellations):
    def __init__(
        self, redis: Redis, namespace: str, *, ack_wait: float = 1.0, retry_after: float = 1.0,
        subscribe_wait: float = 3.0,
    ) -> None:
        super().__init__()
        self._redis = redis
        self._channel = f"{namespace}:cancel"
        self._me = uuid.uuid4().hex
        self._ack_wait = ack_wait
        self._retry_after = retry_after
        self._subscribe_wait = subscribe_wait
        self._acks: dict[str, asyncio.Future[None]] = {}
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen in the background; wait (briefly: Redis may be down) until subscribed."""
        self._listener = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), self._subscribe_wait)
        except TimeoutError:
            logger.warning("Not subscribed to %s yet: /cancel reaches only this replica until Redis answers",
                           self._channel)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)

    async def cancel(self, key: ConversationKey) -> bool:
        stopped = self.cancel_here(key)
        request = uuid.uuid4().hex
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks[request] = ack
        try:
            # Published even when stopped here: another replica may be drawing in the same conversation.
            await self._publish({"op": "cancel", "key": list(key), "id": request, "from": self._me})
            if stopped:
                return True
            await asyncio.wait_for(ack, self._ack_wait)
            return True
        except TimeoutError:
            return False
        except RedisError as error:
            logger.warning("Could not tell the other replicas to cancel (%s)", error)
            return stopped
        finally:
            del self._acks[request]

    async def _publish(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self._channel, json.dumps(message))

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    logger.debug("Listening for /cancel on %s", self._channel)
                    while True:
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None:
                            await self._on_message(message["data"])
            except (RedisError, OSError) as error:
                self._subscribed.clear()
                logger.warning("Lost %s (%s); subscribing again in %.0f s", self._channel, error, self._retry_after)
                await asyncio.sleep(self._retry_after)

    async def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            op, request = message["op"], str(message["id"])
            if op == "cancel" and message["from"] != self._me:
                if self.cancel_here(ConversationKey(*message["key"])):
                    logger.info("Stopped the work of chat %s at another replica's /cancel", message["key"][0])
                    await self._publish({"op": "stopped", "id": request})
            elif op == "stopped" and (ack := self._acks.get(request)) is not None and not ack.done():
                ack.set_result(None)
        except (ValueError, KeyError, TypeError, IndexError):
            logger.warning("Ignored a malformed message on %s", self._channel)
