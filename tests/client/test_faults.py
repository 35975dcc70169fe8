"""The fault suite: servers that misbehave in every way a response can go wrong.

Each case raises aiohttp's documented exception (chained to what ketch_http1 or the OS
reported) and leaves the pool clean: the broken connection is closed, the next request
gets a new one (the server counts connections), and nothing is left for the garbage
collector to warn about.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import struct
import warnings
from collections.abc import Awaitable, Callable, Iterator

import pytest

import ketch
import ketch_http1
from tests.servers import HTTPServer, Reply, Request

Raw = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(autouse=True)
def no_resource_warnings() -> Iterator[None]:
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, so the peer gets a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def server_for(fault: Raw) -> HTTPServer:
    """``/fault`` runs *fault* (which writes raw bytes; the connection closes after it);
    every other path answers ``ok`` on a keep-alive connection."""

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        if req.target == "/fault":
            await fault(req, writer)
            return None
        return Reply(body=b"ok")

    return HTTPServer(handler)


class PoolWatch:
    """Records whether each request reused a pooled connection or made a new one."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.config = ketch.TraceConfig()
        self.config.on_connection_create_start.append(self._created)
        self.config.on_connection_reuseconn.append(self._reused)

    async def _created(self, session: object, ctx: object, params: object) -> None:
        self.events.append("create")

    async def _reused(self, session: object, ctx: object, params: object) -> None:
        self.events.append("reuse")


@pytest.fixture
def watch() -> PoolWatch:
    return PoolWatch()


def session(watch: PoolWatch, **kwargs: object) -> ketch.ClientSession:
    """A session with a one-connection pool: a connection not given back would block."""
    return ketch.ClientSession(connector=ketch.TCPConnector(limit=1),
                               trace_configs=[watch.config], **kwargs)  # type: ignore[arg-type]


async def check_pool_is_clean(s: ketch.ClientSession, server: HTTPServer, watch: PoolWatch) -> None:
    """The next request works, on a new connection: the broken one was not pooled, and
    its slot was given back (the pool holds one connection)."""
    before = server.connections
    watch.events.clear()
    async with s.get(server.url + "/") as r:
        assert await r.read() == b"ok"
    assert watch.events == ["create"]
    assert server.connections == before + 1
    watch.events.clear()
    async with s.get(server.url + "/") as r:  # and a good one is pooled
        assert await r.read() == b"ok"
    assert watch.events == ["reuse"]


def writes(data: bytes) -> Raw:
    async def fault(req: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return fault


HEAD_100 = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
HEAD_CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(("raw", "expected", "detail"), [
    (HEAD_100 + b"x" * 10, 100, "after 10 of 100 body bytes"),
    (HEAD_CHUNKED + b"a\r\n0123", None, "inside a chunked body"),
    (HEAD_CHUNKED + b"4\r\nabcd\r\n", None, "inside a chunked body"),
])
async def test_server_closes_mid_body(raw: bytes, expected: int | None, detail: str, watch: PoolWatch) -> None:
    async with server_for(writes(raw)) as server, session(watch) as s:
        async with s.get(server.url + "/fault") as r:
            assert r.status == 200
            with pytest.raises(ketch.ClientPayloadError,
                               match="Response payload is not completed") as info:
                await r.read()
        assert detail in str(info.value)
        cause = info.value.__cause__
        assert isinstance(cause, ketch_http1.IncompleteBody)
        assert cause.expected == expected
        await check_pool_is_clean(s, server, watch)


async def test_server_resets_mid_body(watch: PoolWatch) -> None:
    go = asyncio.Event()

    async def fault(req: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_100 + b"x" * 10)
        await writer.drain()
        await go.wait()
        reset(writer)

    async with server_for(fault) as server, session(watch) as s:
        async with s.get(server.url + "/fault") as r:
            go.set()
            with pytest.raises(ketch.ClientPayloadError) as info:
                await r.read()
        assert "Response payload is not completed" in str(info.value)
        assert "ConnectionResetError" in str(info.value)
        assert isinstance(info.value.__cause__, ketch_http1.IncompleteBody)
        assert isinstance(info.value.__cause__.__cause__, ConnectionResetError)
        await check_pool_is_clean(s, server, watch)


async def test_server_resets_before_the_head(watch: PoolWatch) -> None:
    async def fault(req: Request, writer: asyncio.StreamWriter) -> None:
        reset(writer)

    async with server_for(fault) as server, session(watch) as s:
        with pytest.raises(ketch.ClientOSError) as info:
            await s.get(server.url + "/fault")
        assert isinstance(info.value, OSError)
        assert isinstance(info.value.__cause__, ConnectionResetError)
        await check_pool_is_clean(s, server, watch)


async def test_server_closes_without_answering(watch: PoolWatch) -> None:
    async with server_for(writes(b"")) as server, session(watch) as s:
        with pytest.raises(ketch.ServerDisconnectedError):
            await s.get(server.url + "/fault")
        await check_pool_is_clean(s, server, watch)


async def test_server_closes_inside_the_head(watch: PoolWatch) -> None:
    async with server_for(writes(b"HTTP/1.1 200 OK\r\nContent-Le")) as server, \
            session(watch) as s:
        with pytest.raises(ketch.ServerDisconnectedError, match="inside the response head"):
            await s.get(server.url + "/fault")
        await check_pool_is_clean(s, server, watch)


@pytest.mark.parametrize("garbage", [
    b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
])
async def test_garbage_head_is_a_400_response_error(garbage: bytes, watch: PoolWatch) -> None:
    async with server_for(writes(garbage)) as server, session(watch) as s:
        with pytest.raises(ketch.ClientResponseError) as info:
            await s.get(server.url + "/fault")
        err = info.value
        assert err.status == 400
        assert err.message.startswith("Invalid response: ")
        assert isinstance(err.__cause__, ketch_http1.RemoteProtocolError)
        assert err.request_info.url.path == "/fault"
        await check_pool_is_clean(s, server, watch)


async def test_oversized_header_names_the_limit(watch: PoolWatch) -> None:
    big = b"HTTP/1.1 200 OK\r\nX-Big: " + b"y" * 10_000 + b"\r\nContent-Length: 2\r\n\r\nhi"
    async with server_for(writes(big)) as server:
        async with session(watch) as s:
            with pytest.raises(ketch.ClientResponseError) as info:
                await s.get(server.url + "/fault")
            assert info.value.status == 400
            assert "max_field_size" in info.value.message
            assert isinstance(info.value.__cause__, ketch_http1.LimitExceeded)
            await check_pool_is_clean(s, server, watch)
        async with ketch.ClientSession(max_field_size=20_000) as s:
            async with s.get(server.url + "/fault") as r:
                assert len(r.headers["X-Big"]) == 10_000
                assert await r.read() == b"hi"


async def test_bad_chunk_framing_is_a_payload_error(watch: PoolWatch) -> None:
    async with server_for(writes(HEAD_CHUNKED + b"zz\r\nabc\r\n0\r\n\r\n")) as server, \
            session(watch) as s:
        async with s.get(server.url + "/fault") as r:
            assert r.status == 200
            with pytest.raises(ketch.ClientPayloadError, match="invalid chunk size"):
                await r.read()
        await check_pool_is_clean(s, server, watch)


def stalls(first: bytes) -> Raw:
    """Writes *first*, then sends nothing until the client goes away."""

    async def fault(req: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(first)
        await writer.drain()
        reader = writer._transport.get_protocol()._stream_reader  # type: ignore[attr-defined]
        await reader.read()  # returns when the client closes

    return fault


async def test_stall_before_the_head_is_a_socket_timeout(watch: PoolWatch) -> None:
    timeout = ketch.ClientTimeout(sock_read=0.2)
    async with server_for(stalls(b"")) as server, session(watch, timeout=timeout) as s:
        with pytest.raises(ketch.SocketTimeoutError) as info:
            await s.get(server.url + "/fault")
        assert isinstance(info.value, ketch.ServerTimeoutError)
        assert isinstance(info.value, asyncio.TimeoutError)
        await check_pool_is_clean(s, server, watch)


async def test_stall_mid_body_is_a_socket_timeout(watch: PoolWatch) -> None:
    timeout = ketch.ClientTimeout(sock_read=0.2)
    async with server_for(stalls(HEAD_100 + b"x" * 10)) as server, \
            session(watch, timeout=timeout) as s:
        async with s.get(server.url + "/fault") as r:
            assert await r.content.read(10) == b"x" * 10
            with pytest.raises(ketch.SocketTimeoutError, match="sock_read"):
                await r.content.read(10)
        await check_pool_is_clean(s, server, watch)


async def test_a_slow_reader_is_not_a_slow_server(watch: PoolWatch) -> None:
    body = b"z" * (8 * 2**20)

    async def fault(req: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()

    timeout = ketch.ClientTimeout(sock_read=0.1)
    async with server_for(fault) as server, session(watch, timeout=timeout) as s:
        async with s.get(server.url + "/fault") as r:
            await asyncio.sleep(0.3)  # reading is paused meanwhile: that wait is ours
            assert await r.read() == body


async def test_total_timeout_while_reading_the_body(watch: PoolWatch) -> None:
    timeout = ketch.ClientTimeout(total=0.3)
    async with server_for(stalls(HEAD_100 + b"x" * 10)) as server, \
            session(watch, timeout=timeout) as s:
        async with s.get(server.url + "/fault") as r:
            with pytest.raises(asyncio.TimeoutError):
                await r.read()
        await check_pool_is_clean(s, server, watch)


async def test_cancelled_reader_leaves_no_connection_behind(watch: PoolWatch) -> None:
    async with server_for(stalls(HEAD_100 + b"x" * 10)) as server, \
            session(watch) as s:
        async with s.get(server.url + "/fault") as r:
            reader = asyncio.ensure_future(r.read())
            await asyncio.sleep(0.05)
            reader.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reader
            assert r.closed
        await check_pool_is_clean(s, server, watch)


async def test_a_far_total_deadline_fires_from_the_shared_tick(
    monkeypatch: pytest.MonkeyPatch, watch: PoolWatch
) -> None:
    # Deadlines far away share one one-second tick per loop; pretend 0.5 s is far.
    import ketch._pipeline

    monkeypatch.setattr(ketch._pipeline, "_PRECISE_BELOW", 0.0)
    timeout = ketch.ClientTimeout(total=0.5)
    async with server_for(stalls(HEAD_100 + b"x" * 10)) as server, \
            session(watch, timeout=timeout) as s:
        async with s.get(server.url + "/fault") as r:
            with pytest.raises(asyncio.TimeoutError):
                await r.read()
        await check_pool_is_clean(s, server, watch)
