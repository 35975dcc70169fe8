"""Loopback servers for the connector tests: they count what is really open server-side."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

from tests.servers import LoopbackServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send back whatever arrives until the client closes."""
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and say nothing until the client closes (a TLS handshake never completes)."""
    await reader.read()


class CountingServer(LoopbackServer):
    """A TCP (or TLS, or Unix) server on loopback counting accepted and open connections."""

    def __init__(
        self,
        handler: Handler = echo,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
        path: str | None = None,
        port: int = 0,
    ) -> None:
        self.handler = handler
        self.host = host
        self.ssl = ssl_context
        self.path = path
        self.port = port
        self.accepted = 0
        self.open = 0
        self.max_open = 0

    async def close_all(self) -> None:
        """Close every accepted connection (the server side goes away)."""
        for w in list(self._writers):
            w.close()
        for _ in range(100):
            if not self.open:
                return
            await asyncio.sleep(0.01)

    async def wait_open(self, n: int) -> None:
        """Wait (bounded) until exactly *n* connections are open server-side."""
        for _ in range(300):
            if self.open == n:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"expected {n} open connections, server has {self.open}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        self._writers.add(writer)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            self.open -= 1
