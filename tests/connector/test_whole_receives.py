"""Whole 256 KiB receives go on without a copy, and every byte still arrives in order.

While receives fill the protocol's whole 256 KiB buffer (the sender is ahead), the
protocol switches the transport to a plain protocol that hands over the ``bytes`` the
transport received into; a shorter receive, a new receiver or none switch back. A real
loopback server sends a large body while the client holds off reading, so the kernel
holds megabytes and the receives that follow are whole; the client socket's receive
buffer is raised so that this does not depend on TCP autotuning.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import AsyncIterator

from ketch_connector import (
    BaseConnector,
    Connection,
    ConnectionKey,
    ConnectionProtocol,
    TCPConnector,
)

from .helpers import CountingServer

SIZE = 8 * 1024 * 1024
BODY = hashlib.sha256(b"whole").digest() * (SIZE // 32)


class Recorder:
    """A receiver noting, for every piece, whether it came through the plain protocol."""

    def __init__(self, proto: ConnectionProtocol) -> None:
        self.proto = proto
        self.pieces: list[bytes] = []
        self.whole: list[bool] = []
        self.eof = False
        self.lost: list[BaseException | None] = []
        self.more = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        transport = self.proto.transport
        assert transport is not None
        self.whole.append(transport.get_protocol() is not self.proto)
        self.pieces.append(data)
        self.more.set()

    def eof_received(self) -> None:
        self.eof = True
        self.more.set()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost.append(exc)
        self.more.set()

    @property
    def received(self) -> int:
        return sum(map(len, self.pieces))

    async def wait_for(self, total: int) -> None:
        """Wait (bounded: 5 s) until *total* bytes or the end of stream arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5  # by time, not wake-ups: pieces may be many and small
        while loop.time() < deadline:
            if self.received >= total or self.eof or self.lost:
                return
            self.more.clear()
            try:
                await asyncio.wait_for(self.more.wait(), 0.01)
            except asyncio.TimeoutError:
                pass
        raise AssertionError(f"only {self.received} of {total} bytes arrived")


async def sender(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """On each line: b"big" sends BODY, b"tail" four bytes, b"bye" the end of stream."""
    while line := await reader.readline():
        if line == b"big\n":
            writer.write(BODY)
        elif line == b"tail\n":
            writer.write(b"tail")
        elif line == b"bye\n":
            writer.write_eof()
        await writer.drain()


async def held_back_big(c: Connection) -> Recorder:
    """Ask for BODY with reading paused until the kernel holds more than one receive."""
    proto = c.protocol
    transport = c.transport
    assert transport is not None and proto.sock is not None
    proto.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    rec = Recorder(proto)
    c.set_receiver(rec)
    transport.pause_reading()
    c.write(b"big\n")
    for _ in range(200):  # bounded: 2 s
        await asyncio.sleep(0.01)
        queued = proto.sock.recv(1024 * 1024, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        if len(queued) >= 1024 * 1024:
            break
    else:
        raise AssertionError("the server's bytes never piled up in the socket")
    transport.resume_reading()
    await rec.wait_for(SIZE)
    return rec


@contextlib.asynccontextmanager
async def connection(server: CountingServer, conn: BaseConnector) -> AsyncIterator[Connection]:
    """A connection to *server*, closed however the test ends (unless released)."""
    c = await conn.connect(ConnectionKey("127.0.0.1", server.port))
    try:
        yield c
    finally:
        c.close()


async def test_whole_receives_skip_the_copy_and_keep_every_byte_in_order() -> None:
    async with CountingServer(sender) as server, TCPConnector() as conn:
        async with connection(server, conn) as c:
            rec = await held_back_big(c)
            assert b"".join(rec.pieces) == BODY
            # The first receive (copied out of the buffer) filled it: the next ones came
            # as the transport's own bytes, a whole 256 KiB while the sender stayed ahead.
            assert rec.whole[0] is False and len(rec.pieces[0]) == 256 * 1024
            assert True in rec.whole
            assert len(rec.pieces[rec.whole.index(True)]) == 256 * 1024


async def whole_mode(c: Connection) -> Recorder:
    """BODY held back and received, ending with the transport on the plain protocol."""
    proto = c.protocol
    for _ in range(3):  # the last receive of BODY may have been short (bounded)
        rec = await held_back_big(c)
        assert b"".join(rec.pieces) == BODY
        assert proto.transport is not None
        if proto.transport.get_protocol() is not proto:
            return rec
    raise AssertionError("BODY never ended with a whole receive")


async def test_a_short_receive_switches_back_to_the_copying_path() -> None:
    async with CountingServer(sender) as server, TCPConnector() as conn:
        async with connection(server, conn) as c:
            rec = await whole_mode(c)
            transport = c.protocol.transport
            assert transport is not None
            c.write(b"tail\n")
            await rec.wait_for(SIZE + 4)
            # Came as the transport's bytes; 4 bytes: the sender is caught up, copy again.
            assert rec.pieces[-1] == b"tail" and rec.whole[-1] is True
            assert transport.get_protocol() is c.protocol
            c.write(b"tail\n")
            await rec.wait_for(SIZE + 8)
            assert rec.pieces[-1] == b"tail" and rec.whole[-1] is False


async def test_releasing_switches_back_and_the_pooled_connection_reads_as_before() -> None:
    async with CountingServer(sender) as server, TCPConnector() as conn:
        async with connection(server, conn) as c:
            proto = c.protocol
            await whole_mode(c)
            c.set_receiver(None)  # the exchange ended (release() does the same)
            assert proto.transport is not None
            assert proto.transport.get_protocol() is proto
            c.release()
        async with connection(server, conn) as again:
            assert again.protocol is proto and server.accepted == 1  # pooled, reused
            rec = Recorder(proto)
            again.set_receiver(rec)
            again.write(b"tail\n")
            await rec.wait_for(4)
            assert rec.pieces == [b"tail"] and rec.whole == [False]


async def test_end_of_stream_and_loss_reach_the_receiver_through_the_plain_protocol() -> None:
    async with CountingServer(sender) as server, TCPConnector() as conn:
        async with connection(server, conn) as c:
            proto = c.protocol
            rec = await whole_mode(c)
            c.write(b"bye\n")
            await rec.wait_for(SIZE * 3)  # returns at the end of stream
            assert rec.eof
            await proto.wait_closed()
            assert rec.lost == [None]  # a clean close, reported once
            assert not proto.is_connected
