"""A pooled connection and the asyncio protocol under it.

Theory of operation: the protocol either buffers received bytes for :meth:`Connection.read`
(a caller speaking its own protocol over the connection), or hands every piece straight to
a :class:`Receiver` the caller installed (the ketch client feeds its parser this way, with no
task switch per piece). Writes go straight to the transport; :meth:`Connection.drain` waits
while the transport's buffer is over its high-water mark.

Reading: the protocol is an ``asyncio.BufferedProtocol``. The transport receives into
one buffer per thread and only the bytes that arrived are copied out. A plain protocol
makes the transport allocate a fresh 256 KiB ``bytes`` for every receive: with glibc an
mmap, a page fault, a shrinking mremap and an munmap per small response, 13-24 us of
CPU per sequential request on the benchmark machine.

A large body is the opposite case: when a receive fills the whole buffer (more is
waiting: the sender is ahead of us), copying 256 KiB out of it is a third of the
client's own CPU for the piece (tools/bench/bench_stream.py). Then the transport is
switched to a plain protocol (``transport.set_protocol``, a public asyncio API) so that
it receives straight into the ``bytes`` handed on, with no copy; a receive of another
size, or a new receiver (the response ended), switches back. The plain path lasts only
while receives are whole, so its allocations are used in full rather than shrunk, and
glibc serves them from its heap (freeing the whole pieces copied before the switch has
raised its mmap threshold above 256 KiB): the mmap, page faults and munmap per receive
that a plain protocol costs otherwise (the note above) do not come back. Only on a
socket we made (``sock`` set): a TLS transport decrypts into its own buffers anyway.

While a connection sits idle in the pool, the protocol reports anything the peer does to
its connector: end of stream or unsolicited bytes make the connection unusable, and it is
closed and forgotten at once rather than found dead at the next request.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from ._exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientOSError,
    ServerDisconnectedError,
)

if TYPE_CHECKING:
    from ._key import ConnectionKey
    from ._pool import BaseConnector

__all__ = ["Connection", "Receiver", "ConnectionProtocol"]

_PEEK_FLAGS = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
# As much as asyncio's transports read at once.
READ_BUFFER_SIZE = 256 * 1024
_thread = threading.local()


def _read_buffer() -> memoryview:
    """This thread's receive buffer. Sharing it is safe: a loop runs its callbacks one
    at a time, and every received piece is copied out before the next receive."""
    buf: memoryview | None = getattr(_thread, "buf", None)
    if buf is None:
        buf = _thread.buf = memoryview(bytearray(READ_BUFFER_SIZE))
    return buf


def _lost_while_writing(exc: BaseException | None) -> ClientConnectionError:
    """The error for a write that cannot finish: ClientOSError chained to the OS error
    (a reset...), as aiohttp raises for a failed upload; ServerDisconnectedError after a
    clean close."""
    if isinstance(exc, OSError):
        err: ClientConnectionError = ClientOSError(
            exc.errno, f"connection lost while writing: {exc}")
        err.__cause__ = exc
        return err
    return ServerDisconnectedError("connection lost while writing")


class Receiver(Protocol):
    """What a connection's owner installs to get bytes as they arrive."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> None: ...
    def connection_lost(self, exc: BaseException | None) -> None: ...


class ConnectionProtocol(asyncio.BufferedProtocol):
    """The asyncio protocol of every ketch connection.

    Kept small (slots, buffers and futures made only when used): a client may hold
    thousands of these.
    """

    __module__ = "ketch_connector"

    __slots__ = (
        "transport", "_receiver", "sock", "pool", "idle_expires", "_loop", "_buffer", "_eof",
        "_exc", "_read_waiter", "_paused", "_drain_waiter", "_closed", "is_connected",
        "_rbuf", "_whole", "_whole_on", "_switchable", "under",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._receiver: Receiver | None = None
        # The connected socket when we made it ourselves: lets the pool peek for EOF.
        self.sock: socket.socket | None = None
        # Set by the connector that owns the connection; idle_expires is not None while idle.
        self.pool: BaseConnector | None = None
        self.idle_expires: float | None = None
        self._buffer: list[bytes] | None = None
        self._eof = False
        self._exc: BaseException | None = None
        self._read_waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._closed: asyncio.Future[None] | None = None
        self.is_connected = False
        self._rbuf = _read_buffer()
        # The plain protocol the transport delivers whole 256 KiB receives to (made when
        # first needed), and whether the transport uses it now.
        self._whole: _WholeReceives | None = None
        self._whole_on = False
        self._switchable = False
        # With TLS, the transports under it (two with TLS to a proxy, then to the server):
        # they may still hold records the TLS layer handed on (see Connection.unsent).
        self.under: tuple[asyncio.Transport, ...] = ()

    @property
    def receiver(self) -> Receiver | None:
        """Where received bytes go as they arrive (None: buffered for ``read()``)."""
        return self._receiver

    @receiver.setter
    def receiver(self, receiver: Receiver | None) -> None:
        self._receiver = receiver
        if self._whole_on:
            # A new exchange (or none) starts with the copying receive path.
            self._receive_whole(False)

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.is_connected = True
        # Whole receives are taken as plain bytes only from a transport that can switch
        # protocols (the event loop's socket transports can; BaseTransport's raises).
        self._switchable = type(transport).set_protocol is not asyncio.BaseTransport.set_protocol

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._rbuf

    def buffer_updated(self, nbytes: int) -> None:
        receiver = self._receiver
        if receiver is None:
            self.data_received(bytes(self._rbuf[:nbytes]))
            return
        receiver.data_received(bytes(self._rbuf[:nbytes]))  # every response comes here
        if (nbytes == READ_BUFFER_SIZE and self._receiver is not None and self.sock is not None
                and self._switchable):
            self._receive_whole(True)

    def _whole_received(self, data: bytes) -> None:
        """A receive while the transport hands over its own ``bytes`` (see the module
        documentation)."""
        self.data_received(data)
        if len(data) != READ_BUFFER_SIZE and self._whole_on:
            # Caught up with the sender (or the transport reads other sizes): copy again.
            self._receive_whole(False)

    def _receive_whole(self, on: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if on:
            whole = self._whole
            if whole is None:
                whole = self._whole = _WholeReceives(self)
            transport.set_protocol(whole)
        else:
            transport.set_protocol(self)
        self._whole_on = on

    def data_received(self, data: bytes) -> None:
        receiver = self._receiver
        if receiver is not None:
            receiver.data_received(data)
            return
        if self.idle_expires is not None:
            # Bytes nobody asked for: the connection is out of step; never reuse it.
            self._idle_broken()
            return
        if self._buffer is None:
            self._buffer = [data]
        else:
            self._buffer.append(data)
        self._wake_reader()

    def eof_received(self) -> bool:
        self._eof = True
        receiver = self._receiver
        if receiver is not None:
            receiver.eof_received()
        if self.idle_expires is not None:
            self._idle_broken()
        self._wake_reader()
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.is_connected = False
        self._eof = True
        self._exc = exc
        receiver = self._receiver
        self._receiver = None
        if receiver is not None:
            receiver.connection_lost(exc)
        self._wake_reader()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(_lost_while_writing(exc))
            waiter.exception()  # awaiting writers raise it; one that gave up need not
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        self.sock = None
        pool = self.pool
        if pool is not None:
            pool._connection_lost(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # helpers
    def _idle_broken(self) -> None:
        transport = self.transport
        if transport is not None:
            transport.close()

    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def has_eof(self) -> bool:
        return self._eof

    def is_alive(self, peek: bool = True) -> bool:
        """True when the connection can carry a new exchange: open, no EOF, nothing unread.

        With *peek*, also looks at the socket (one non-blocking ``recv(MSG_PEEK)``), so an
        end of stream or stray bytes that arrived but were not yet processed by the event
        loop are seen before the connection is reused.
        """
        transport = self.transport
        if not self.is_connected or self._eof or self._buffer or transport is None:
            return False
        if transport.is_closing():
            return False
        sock = self.sock
        if peek and sock is not None:
            try:
                sock.recv(1, _PEEK_FLAGS)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return False
            return False  # b"" (end of stream) or stray bytes
        return True

    def close_transport(self) -> None:
        """Close the transport (no-op if already closing)."""
        transport = self.transport
        if transport is not None and transport.get_write_buffer_size():
            # Unsent bytes: close() would wait to flush them to a peer that may never read
            # (and wait_closed() with it); a connection closed this way is finished anyway.
            transport.abort()
        elif transport is not None and not transport.is_closing():
            transport.close()

    async def wait_closed(self) -> None:
        """Wait until asyncio reported the transport closed (``connection_lost``)."""
        if not self.is_connected and self.transport is not None:
            return
        if self._closed is None:
            self._closed = self._loop.create_future()
        await asyncio.shield(self._closed)

    async def drain(self) -> None:
        if not self._paused:
            return
        if not self.is_connected:
            raise _lost_while_writing(self._exc)
        waiter = self._drain_waiter
        if waiter is None or waiter.done():
            waiter = self._drain_waiter = self._loop.create_future()
        try:
            # Shielded: a waiter shared by two writers (the last one of an exchange still
            # draining, the next one starting) must survive either being cancelled.
            await asyncio.shield(waiter)
        finally:
            if self._drain_waiter is waiter and waiter.done():
                self._drain_waiter = None

    async def read(self) -> bytes:
        while not self._buffer:
            if self._eof:
                if self._exc is not None:
                    raise ClientConnectionResetError(
                        f"connection lost: {self._exc!r}"
                    ) from self._exc
                return b""
            self._read_waiter = self._loop.create_future()
            try:
                await self._read_waiter
            finally:
                self._read_waiter = None
        buffer = self._buffer
        self._buffer = None
        return buffer[0] if len(buffer) == 1 else b"".join(buffer)

    def has_unread_data(self) -> bool:
        return bool(self._buffer)


class _WholeReceives(asyncio.Protocol):
    """The plain protocol a connection's transport delivers to while whole 256 KiB
    receives stream in: everything goes on to the connection's protocol."""

    __slots__ = ("_proto",)

    def __init__(self, proto: ConnectionProtocol) -> None:
        self._proto = proto

    def data_received(self, data: bytes) -> None:
        self._proto._whole_received(data)

    def eof_received(self) -> bool:
        return self._proto.eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._proto.connection_lost(exc)

    def pause_writing(self) -> None:
        self._proto.pause_writing()

    def resume_writing(self) -> None:
        self._proto.resume_writing()


class Connection:
    """A ready connection handed out by a connector.

    Write with :meth:`write`, read with :meth:`read` (or install a :class:`Receiver` with
    :meth:`set_receiver`), then give it back with :meth:`release` when the exchange ended
    cleanly and the connection may carry another one, or :meth:`close` otherwise. A
    released connection that is not reusable is closed rather than pooled.
    """

    __module__ = "ketch_connector"

    __slots__ = ("_connector", "_key", "_protocol", "_released")

    def __init__(
        self, connector: BaseConnector, key: ConnectionKey, protocol: ConnectionProtocol
    ) -> None:
        self._connector = connector
        self._key = key
        self._protocol = protocol
        self._released = False

    def __repr__(self) -> str:
        return f"<Connection {self._key!r}>"

    @property
    def key(self) -> ConnectionKey:
        """The key this connection was acquired for."""
        return self._key

    @property
    def protocol(self) -> ConnectionProtocol:
        """The asyncio protocol under the connection."""
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        """The asyncio transport, or None once released or closed."""
        return self._protocol.transport if not self._released else None

    @property
    def closed(self) -> bool:
        """True once released, closed, or lost."""
        return self._released or not self._protocol.is_connected

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Deliver received bytes to *receiver* as they arrive (None: buffer for read()).

        Bytes already buffered for :meth:`read` are handed to the new receiver first.
        """
        proto = self._protocol
        proto._receiver = receiver  # the attribute itself: this runs for every request
        if proto._whole_on:
            proto._receive_whole(False)
        if receiver is not None and proto._buffer:
            buffered = proto._buffer
            proto._buffer = None
            for piece in buffered:
                receiver.data_received(piece)

    def write(self, data: bytes) -> None:
        """Send *data* (buffered by the transport; see :meth:`drain`).

        Raises:
            ClientOSError: the connection broke (chained to the OS error).
            ServerDisconnectedError: the connection is closed.
        """
        transport = self._protocol.transport
        if self._released or transport is None or transport.is_closing():
            if not self._released and isinstance(self._protocol._exc, OSError):
                raise _lost_while_writing(self._protocol._exc)
            raise ServerDisconnectedError("connection closed before the request was sent")
        transport.write(data)

    def writelines(self, parts: Sequence[bytes]) -> None:
        """Send *parts* one after the other, in one system call when the transport has
        nothing queued (a gather write, without joining them into one copy first).

        Raises:
            ClientOSError: the connection broke (chained to the OS error).
            ServerDisconnectedError: the connection is closed.
        """
        transport = self._protocol.transport
        sock = self._protocol.sock
        if (sock is None or self._released or transport is None or transport.is_closing()
                or transport.get_write_buffer_size()):
            self.write(b"".join(parts))
            return
        try:
            sent = sock.sendmsg(parts)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            # Let the transport meet the error and report it its own way.
            self.write(b"".join(parts))
            return
        for part in parts:  # what the kernel did not take, the transport queues
            if sent >= len(part):
                sent -= len(part)
                continue
            transport.write(memoryview(part)[sent:] if sent else part)
            sent = 0

    def unsent(self) -> int:
        """How many bytes written on the connection are not yet handed to the kernel.

        With TLS this counts what the transport under TLS still holds too: the TLS
        transport's own buffer size does not (it passes records on at once).
        """
        proto = self._protocol
        transport = proto.transport
        if self._released or transport is None:
            return 0
        if not proto.under:
            return transport.get_write_buffer_size()
        return transport.get_write_buffer_size() + sum(
            t.get_write_buffer_size() for t in proto.under)

    async def flush(self) -> None:
        """Wait until every byte written on the connection has been handed to the kernel.

        :meth:`drain` waits only until the transport's buffer is under its high-water
        mark. A request is sent, and its connection may carry another, only once the
        rest is out too: a server that answered early and stopped reading never gets it.

        Raises:
            ClientOSError: the connection broke while waiting (chained to the OS error).
            ServerDisconnectedError: the peer closed the connection while waiting.
        """
        transport = self.transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            low, high = transport.get_write_buffer_limits()
            # A high-water mark of 0 keeps the protocol paused until the buffer is empty.
            transport.set_write_buffer_limits(high=0)
            try:
                await self.drain()
            finally:
                if not transport.is_closing():
                    transport.set_write_buffer_limits(high=high, low=low)
        proto = self._protocol
        # A transport under TLS tells only the TLS layer when it empties: poll it.
        while (proto.under and not self._released
               and any(t.get_write_buffer_size() for t in proto.under)):
            if not proto.is_connected:
                raise _lost_while_writing(proto._exc)
            await asyncio.sleep(0.001)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is full.

        Raises:
            ClientOSError: the connection broke while waiting (chained to the OS error).
            ServerDisconnectedError: the peer closed the connection while waiting.
        """
        if self._released:
            return  # given back: the next user of the connection owns its flow now
        await self._protocol.drain()

    async def read(self) -> bytes:
        """The bytes received since the last call (waiting for some), or b"" at end of stream.

        Raises:
            ClientConnectionResetError: the connection broke (reset, TLS failure) rather
                than ending cleanly.
        """
        return await self._protocol.read()

    def release(self) -> None:
        """Return the connection to its connector's pool (closed instead if not reusable)."""
        self._give_back(False)

    def close(self) -> None:
        """Close the connection; it is never pooled again."""
        self._give_back(True)

    def _give_back(self, should_close: bool) -> None:
        if self._released:
            return
        self._released = True
        proto = self._protocol
        proto._receiver = None
        if proto._whole_on:
            proto._receive_whole(False)
        self._connector._release(self._key, proto, should_close)

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # A connection dropped without release()/close() would hold its slot forever.
        if getattr(self, "_released", True):
            return
        self._released = True
        _warn(f"Unclosed connection {self!r}", ResourceWarning, source=self)
        loop = self._connector._loop
        if not loop.is_closed():
            loop.call_soon_threadsafe(
                self._connector._release, self._key, self._protocol, True
            )
