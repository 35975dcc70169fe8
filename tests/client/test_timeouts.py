"""ClientTimeout: defaults, validation, and what each field bounds, against stalling servers."""

from __future__ import annotations

import asyncio
import dataclasses
import math

import pytest

import ketch
from ketch._timeouts import deadline_after
from tests.servers import HTTPServer, Reply, Request


def test_defaults_and_shape() -> None:
    t = ketch.ClientTimeout()
    assert (t.total, t.connect, t.sock_read, t.sock_connect, t.ceil_threshold) == (
        None, None, None, None, 5)
    assert ketch.ClientTimeout(1, 2, 3, 4, 6) == ketch.ClientTimeout(
        total=1, connect=2, sock_read=3, sock_connect=4, ceil_threshold=6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.total = 3  # type: ignore[misc]
    assert dataclasses.replace(t, total=7).total == 7


@pytest.mark.parametrize("kwargs", [{"total": -1}, {"sock_read": "1"}, {"connect": True},
                                    {"ceil_threshold": None}])
def test_bad_values_are_refused_by_name(kwargs: dict[str, object]) -> None:
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=f"ClientTimeout.{name}"):
        ketch.ClientTimeout(**kwargs)  # type: ignore[arg-type]


def test_deadline_rounding() -> None:
    assert deadline_after(100.25, None, 5) is None
    assert deadline_after(100.25, 1.5, 5) == 101.75  # short: exact
    assert deadline_after(100.25, 10, 5) == math.ceil(110.25)  # long: whole second
    assert deadline_after(100.25, 10, 20) == 110.25


async def stall_head(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
    await asyncio.sleep(30)
    return None


async def stall_body(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    await writer.drain()
    await asyncio.sleep(30)
    return None


async def test_total_bounds_the_request_and_is_a_plain_timeout() -> None:
    async with HTTPServer(stall_head) as server, ketch.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError) as info:
            await s.get(server.url, timeout=ketch.ClientTimeout(total=0.2))
        assert not isinstance(info.value, ketch.ServerTimeoutError)
        # A number is taken as the total.
        with pytest.raises(asyncio.TimeoutError):
            await s.get(server.url, timeout=0.1)


async def test_total_also_bounds_reading_the_body() -> None:
    async with HTTPServer(stall_body) as server:
        async with ketch.ClientSession(timeout=ketch.ClientTimeout(total=0.3)) as s:
            resp = await s.get(server.url)
            assert resp.status == 200
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()


async def test_sock_read_bounds_waiting_for_the_head() -> None:
    async with HTTPServer(stall_head) as server, ketch.ClientSession() as s:
        with pytest.raises(ketch.SocketTimeoutError) as info:
            await s.get(server.url, timeout=ketch.ClientTimeout(sock_read=0.2))
    assert isinstance(info.value, ketch.ServerTimeoutError)
    assert isinstance(info.value, asyncio.TimeoutError)


async def test_sock_read_bounds_each_body_read() -> None:
    async with HTTPServer(stall_body) as server, ketch.ClientSession(
        timeout=ketch.ClientTimeout(sock_read=0.2)
    ) as s:
        resp = await s.get(server.url)
        with pytest.raises(ketch.SocketTimeoutError):
            await resp.read()


async def test_waiting_for_a_pool_slot_is_reported_separately() -> None:
    release = asyncio.Event()

    async def slow(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/hold":
            await release.wait()
        return Reply(body=b"ok")

    async with HTTPServer(slow) as server, ketch.ClientSession(
        connector=ketch.TCPConnector(limit=1)
    ) as s:
        holder = asyncio.ensure_future(s.get(server.url + "/hold"))
        await asyncio.sleep(0.05)
        with pytest.raises(ketch.PoolTimeoutError) as info:
            await s.get(server.url + "/other", timeout=ketch.ClientTimeout(connect=0.1))
        assert isinstance(info.value, ketch.ConnectionTimeoutError)
        assert isinstance(info.value, asyncio.TimeoutError)
        release.set()
        resp = await holder
        assert await resp.read() == b"ok"
        # The slot is free again: the next request goes through.
        assert await (await s.get(server.url + "/other")).read() == b"ok"


async def test_session_timeout_is_the_default_and_request_overrides_it() -> None:
    async with HTTPServer(stall_head) as server, ketch.ClientSession(
        timeout=ketch.ClientTimeout(total=0.1)
    ) as s:
        with pytest.raises(asyncio.TimeoutError) as info:
            await s.get(server.url)
        assert not isinstance(info.value, ketch.SocketTimeoutError)
        with pytest.raises(ketch.SocketTimeoutError):
            await s.get(server.url, timeout=ketch.ClientTimeout(sock_read=0.1))


async def test_total_bounds_sending_a_large_body_to_a_server_that_does_not_read() -> None:
    release = asyncio.Event()

    async def not_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await release.wait()  # never reads the body: the client's writes back up
        writer.close()

    server = await asyncio.start_server(not_reading, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ketch.ClientSession(timeout=ketch.ClientTimeout(total=0.5)) as s:
            with pytest.raises(asyncio.TimeoutError) as info:
                await s.post(f"http://127.0.0.1:{port}/", data=b"b" * (32 << 20))
            assert not isinstance(info.value, ketch.ServerTimeoutError)
    finally:
        release.set()
        server.close()
        await server.wait_closed()
