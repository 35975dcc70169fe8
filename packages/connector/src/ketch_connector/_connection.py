"""A pooled connection and the asyncio protocol under it.

Theory of operation: the protocol either buffers received bytes for :meth:`Connection.read`
(a caller speaking its own protocol over the connection), or hands every piece straight to
a :class:`Receiver` the caller installed (the ketch client feeds its parser this way, with no
task switch per piece). Writes go straight to the transport; :meth:`Connection.drain` waits
while the transport's buffer is over its high-water mark.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from typing import TYPE_CHECKING, Protocol

from ._exceptions import ServerDisconnectedError

if TYPE_CHECKING:
    from ._pool import BaseConnector

__all__ = ["Connection", "Receiver", "ConnectionProtocol"]


class Receiver(Protocol):
    """What a connection's owner installs to get bytes as they arrive."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> None: ...
    def connection_lost(self, exc: BaseException | None) -> None: ...


class ConnectionProtocol(asyncio.Protocol):
    """The asyncio protocol of every ketch connection."""

    __slots__ = (
        "transport", "receiver", "_loop", "_buffer", "_eof", "_exc", "_read_waiter",
        "_paused", "_drain_waiter", "_closed", "is_connected",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.receiver: Receiver | None = None
        self._buffer: deque[bytes] = deque()
        self._eof = False
        self._exc: BaseException | None = None
        self._read_waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._closed: asyncio.Future[None] = loop.create_future()
        self.is_connected = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.is_connected = True

    def data_received(self, data: bytes) -> None:
        receiver = self.receiver
        if receiver is not None:
            receiver.data_received(data)
            return
        self._buffer.append(data)
        self._wake_reader()

    def eof_received(self) -> bool:
        self._eof = True
        receiver = self.receiver
        if receiver is not None:
            receiver.eof_received()
        self._wake_reader()
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.is_connected = False
        self._eof = True
        self._exc = exc
        receiver = self.receiver
        self.receiver = None
        if receiver is not None:
            receiver.connection_lost(exc)
        self._wake_reader()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ServerDisconnectedError("connection lost while writing"))
        if not self._closed.done():
            self._closed.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # helpers
    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def has_eof(self) -> bool:
        return self._eof

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    async def drain(self) -> None:
        if not self._paused:
            return
        if not self.is_connected:
            raise ServerDisconnectedError("connection lost while writing")
        self._drain_waiter = self._loop.create_future()
        await self._drain_waiter

    async def read(self) -> bytes:
        while not self._buffer:
            if self._eof:
                return b""
            self._read_waiter = self._loop.create_future()
            try:
                await self._read_waiter
            finally:
                self._read_waiter = None
        return self._buffer.popleft()

    def has_unread_data(self) -> bool:
        return bool(self._buffer)


class Connection:
    """A ready connection handed out by a connector.

    Write with :meth:`write`, read with :meth:`read` (or install a :class:`Receiver` with
    :meth:`set_receiver`), then give it back with :meth:`release` when the exchange ended
    cleanly and the connection may carry another one, or :meth:`close` otherwise. A
    released connection that is not reusable is closed rather than pooled.
    """

    __slots__ = ("_connector", "_key", "_protocol", "_released")

    def __init__(self, connector: BaseConnector, key: Hashable, protocol: ConnectionProtocol) -> None:
        self._connector = connector
        self._key = key
        self._protocol = protocol
        self._released = False

    def __repr__(self) -> str:
        return f"<Connection {self._key!r}>"

    @property
    def key(self) -> Hashable:
        return self._key

    @property
    def protocol(self) -> ConnectionProtocol:
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._protocol.transport if not self._released else None

    @property
    def closed(self) -> bool:
        return self._released or not self._protocol.is_connected

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Deliver received bytes to *receiver* as they arrive (None: buffer for read())."""
        self._protocol.receiver = receiver

    def write(self, data: bytes) -> None:
        transport = self._protocol.transport
        if self._released or transport is None or transport.is_closing():
            raise ServerDisconnectedError("connection closed before the request was sent")
        transport.write(data)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is full."""
        await self._protocol.drain()

    async def read(self) -> bytes:
        """The next bytes received, or b"" once the peer has closed."""
        return await self._protocol.read()

    def release(self) -> None:
        """Return the connection to its connector's pool (closed instead if not reusable)."""
        if self._released:
            return
        self._released = True
        self._protocol.receiver = None
        self._connector._release(self._key, self._protocol)

    def close(self) -> None:
        """Close the connection; it is never pooled again."""
        if self._released:
            return
        self._released = True
        self._protocol.receiver = None
        self._connector._release(self._key, self._protocol, should_close=True)
