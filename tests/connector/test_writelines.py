"""Connection.writelines: a gather write that keeps the bytes in order, whatever the
kernel takes at once and whatever the transport already queued; TLS joins the parts."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl

from ketch_connector import ConnectionKey, TCPConnector

from .helpers import CountingServer
from .test_tls import tls_key

BIG = hashlib.sha256(b"parts").digest() * (6 * 1024 * 1024 // 32)  # 6 MiB, not uniform


def collector(total: int, got: asyncio.Future[bytes]):  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)  # let the client's socket buffer fill first
        data = await reader.readexactly(total)
        got.set_result(data)
        writer.write(b"k")
        await writer.drain()
        await reader.read()
    return handler


async def test_parts_arrive_whole_and_in_order_after_a_partial_send() -> None:
    parts = (b"head\r\n", BIG, b"tail")
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    async with CountingServer(collector(sum(map(len, parts)), got)) as server, \
            TCPConnector() as connector:
        conn = await connector.connect(ConnectionKey("127.0.0.1", server.port))
        conn.writelines(parts)  # 6 MiB: more than the kernel takes at once
        assert conn.transport is not None and conn.transport.get_write_buffer_size() > 0
        conn.writelines((b"-after-", b"more"))  # behind what the transport queued
        await conn.drain()
        assert await asyncio.wait_for(got, 10) == b"".join(parts)
        assert await asyncio.wait_for(conn.read(), 10) == b"k"
        conn.close()


async def test_over_tls_the_parts_go_through_the_transport(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    parts = (b"head\r\n", BIG[: 1 << 20], b"tail")
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    async with CountingServer(collector(sum(map(len, parts)), got), ssl_context=server_ctx) \
            as server, TCPConnector(ssl=client_ctx) as connector:
        conn = await connector.connect(tls_key(server))
        assert conn.protocol.sock is None  # no raw socket under TLS: joined, then written
        conn.writelines(parts)
        assert await asyncio.wait_for(got, 10) == b"".join(parts)
        conn.close()


def small_sndbuf(info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
    """Sockets with a 64 KiB send buffer: no kernel takes megabytes unread."""
    sock = socket.socket(info[0], info[1], info[2])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    return sock


def held_reader(total: int, go: asyncio.Event, got: asyncio.Future[bytes]):  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await go.wait()  # reads nothing until the test says so
        got.set_result(await reader.readexactly(total))
        await reader.read()
    return handler


async def test_flush_waits_until_every_byte_is_handed_to_the_kernel() -> None:
    go, got = asyncio.Event(), asyncio.get_running_loop().create_future()
    async with CountingServer(held_reader(len(BIG), go, got)) as server, \
            TCPConnector(socket_factory=small_sndbuf) as connector:
        conn = await connector.connect(ConnectionKey("127.0.0.1", server.port))
        conn.writelines((BIG,))
        assert conn.unsent() > 0
        flushing = asyncio.ensure_future(conn.flush())
        await asyncio.sleep(0.05)
        assert not flushing.done()  # under the high-water mark or not, bytes are left
        go.set()
        await asyncio.wait_for(flushing, 10)
        assert conn.unsent() == 0
        transport = conn.transport
        assert transport is not None
        assert transport.get_write_buffer_limits()[1] > 0  # the limits are back
        assert await asyncio.wait_for(got, 10) == BIG
        conn.close()


async def test_over_tls_unsent_counts_what_the_transport_under_tls_holds(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    # The TLS layer passes its records on at once: its own buffer size says 0 while the
    # TCP transport under it still holds megabytes.
    body = BIG * 4  # 24 MiB: more than the kernel's buffers take
    go, got = asyncio.Event(), asyncio.get_running_loop().create_future()
    async with CountingServer(held_reader(len(body), go, got), ssl_context=server_ctx) \
            as server, TCPConnector(ssl=client_ctx, socket_factory=small_sndbuf) as connector:
        conn = await connector.connect(tls_key(server))
        conn.write(body)
        await asyncio.sleep(0.05)
        transport = conn.transport
        assert transport is not None and transport.get_write_buffer_size() == 0
        assert conn.unsent() > 0
        flushing = asyncio.ensure_future(conn.flush())
        await asyncio.sleep(0.05)
        assert not flushing.done()
        go.set()
        await asyncio.wait_for(flushing, 10)
        assert conn.unsent() == 0
        assert await asyncio.wait_for(got, 10) == body
        conn.close()
