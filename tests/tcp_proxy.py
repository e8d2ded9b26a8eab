"""A TCP proxy the tests control: forwards to a real server, or turns into a blackhole that accepts
connections and reads what is sent but never answers (a server that hangs, not one that refuses)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.blackholed = False
        self.port = 0
        self.closed_by_clients = 0  # blackholed connections the client gave up on
        self.connections = 0
        self.accepted = asyncio.Event()  # set at the first connection
        self.abandoned = asyncio.Event()  # set when a client gives up on a blackholed connection

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        self._drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def blackhole(self) -> None:
        """From now on nothing is answered, on open connections or new ones."""
        self.blackholed = True

    def restore(self) -> None:
        """Forward again; connections held in the blackhole are closed, as a restarted server's would be."""
        self.blackholed = False
        self._drop_all()

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.accepted.set()
        self._writers.add(writer)
        if self.blackholed:
            await self._swallow(reader)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.add(upstream_writer)
        pipes = [self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)]
        tasks = [asyncio.ensure_future(pipe) for pipe in pipes]
        self._tasks.update(tasks)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
            self._tasks.discard(task)
        writer.close()
        upstream_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not self.blackholed:
                    writer.write(data)
                    await writer.drain()

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass
        self.closed_by_clients += 1
        self.abandoned.set()
