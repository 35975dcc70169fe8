"""The pool: exact limits, FIFO waiters, timeouts, reuse, expiry, closing."""

from __future__ import annotations

import asyncio
import gc
import random
import socket
import struct
from types import SimpleNamespace

import pytest

from ketch_connector import (
    ClientConnectionError,
    ClientConnectionResetError,
    ConnectionKey,
    ConnectionTimeoutError,
    PoolTimeoutError,
    ServerTimeoutError,
    TCPConnector,
)
from ketch_connector._pool import PEEK_AFTER_IDLE
from ketch_tracing import Trace, TraceConfig

from .helpers import CountingServer, silent


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key_for(server: CountingServer, **kw: object) -> ConnectionKey:
    return ConnectionKey("127.0.0.1", server.port, **kw)  # type: ignore[arg-type]


def recording_traces(events: list[str]) -> list[Trace]:
    config = TraceConfig()

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def on(session: object, ctx: object, params: object) -> None:
            events.append(name)

        return on

    for name in (
        "connection_queued_start", "connection_queued_end", "connection_create_start",
        "connection_create_end", "connection_reuseconn",
    ):
        getattr(config, f"on_{name}").append(recorder(name))
    config.freeze()
    return [Trace(None, config, SimpleNamespace())]


async def test_reuses_released_connection() -> None:
    async with CountingServer() as server, TCPConnector() as conn:
        key = key_for(server)
        c1 = await conn.connect(key)
        proto = c1.protocol
        c1.release()
        c2 = await conn.connect(key)
        assert c2.protocol is proto
        c2.release()
        assert server.accepted == 1


async def test_total_limit_is_exact_under_many_tasks() -> None:
    async with CountingServer() as server, TCPConnector(limit=3) as conn:
        rng = random.Random(7)
        seen_max = 0

        async def one(i: int) -> None:
            nonlocal seen_max
            c = await conn.connect(key_for(server, server_hostname=f"h{i % 5}"))
            seen_max = max(seen_max, conn._open)
            await asyncio.sleep(rng.random() / 200)
            c.release()

        await asyncio.gather(*(one(i) for i in range(60)))
        assert seen_max <= 3
        assert server.max_open <= 3
        assert conn._open <= 3


async def test_limit_per_host_is_exact() -> None:
    async with CountingServer() as server, TCPConnector(limit=0, limit_per_host=2) as conn:
        a, b = key_for(server), key_for(server, server_hostname="other")
        held = [await conn.connect(a), await conn.connect(a), await conn.connect(b)]
        with pytest.raises(PoolTimeoutError) as info:
            await conn.connect(a, timeout=0.05)
        assert info.value.limit == "limit_per_host" and info.value.value == 2
        assert "waiting for a free connection slot" in str(info.value)
        held.append(await conn.connect(b))  # the other key still has room
        for c in held:
            c.release()


async def test_waiters_are_served_first_in_first_out() -> None:
    async with CountingServer() as server, TCPConnector(limit=1) as conn:
        key = key_for(server)
        held = await conn.connect(key)
        order: list[int] = []

        async def waiter(i: int) -> None:
            c = await conn.connect(key)
            order.append(i)
            await asyncio.sleep(0)
            c.release()

        tasks = []
        for i in range(5):
            tasks.append(asyncio.create_task(waiter(i)))
            await asyncio.sleep(0)  # queue them in this order
        held.release()
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2, 3, 4]
        assert server.accepted == 1


async def test_pool_timeout_while_queued_gives_nothing_away() -> None:
    async with CountingServer() as server, TCPConnector(limit=1) as conn:
        held = await conn.connect(key_for(server))
        with pytest.raises(PoolTimeoutError) as info:
            await conn.connect(key_for(server, server_hostname="x"), timeout=0.05)
        err = info.value
        assert isinstance(err, ConnectionTimeoutError)
        assert isinstance(err, ServerTimeoutError)
        assert isinstance(err, asyncio.TimeoutError)
        assert err.limit == "limit" and err.value == 1
        assert conn._open == 1 and not conn._waiters
        held.release()
        again = await conn.connect(key_for(server, server_hostname="x"), timeout=1)
        again.release()


async def test_queued_signals_are_sent() -> None:
    events: list[str] = []
    async with CountingServer() as server, TCPConnector(limit=1) as conn:
        held = await conn.connect(key_for(server))
        task = asyncio.create_task(conn.connect(key_for(server), recording_traces(events)))
        await asyncio.sleep(0.01)
        assert events == ["connection_queued_start"]
        held.release()
        (await task).release()
        assert events == ["connection_queued_start", "connection_queued_end",
                          "connection_reuseconn"]


async def test_timeout_while_connecting_is_a_connection_timeout() -> None:
    async with CountingServer(silent) as server, TCPConnector() as conn:
        key = key_for(server, is_ssl=True, ssl=False)
        with pytest.raises(ConnectionTimeoutError) as info:
            await conn.connect(key, timeout=0.1)
        assert not isinstance(info.value, PoolTimeoutError)
        with pytest.raises(ConnectionTimeoutError) as info2:
            await conn.connect(key, sock_connect=0.1)
        assert "sock_connect" in str(info2.value)
        assert conn._open == 0


async def test_cancel_while_queued_and_while_connecting_frees_slots() -> None:
    async with CountingServer(silent) as server, TCPConnector(limit=1) as conn:
        tls_key = key_for(server, is_ssl=True, ssl=False)
        connecting = asyncio.create_task(conn.connect(tls_key))
        await asyncio.sleep(0.02)
        queued = asyncio.create_task(conn.connect(key_for(server)))
        await asyncio.sleep(0.01)
        assert conn._open == 1 and conn._waiters
        queued.cancel()
        connecting.cancel()
        for t in (queued, connecting):
            with pytest.raises(asyncio.CancelledError):
                await t
        assert conn._open == 0 and not conn._waiters


async def test_server_closed_idle_connection_is_not_reused() -> None:
    async with CountingServer() as server, TCPConnector() as conn:
        key = key_for(server)
        c1 = await conn.connect(key)
        first = c1.protocol
        c1.release()
        await server.close_all()
        c2 = await conn.connect(key)
        assert c2.protocol is not first
        assert server.accepted == 2
        c2.release()


async def test_stale_connection_detected_before_the_loop_sees_it() -> None:
    clock = FakeClock()
    async with CountingServer() as server, TCPConnector(clock=clock) as conn:
        key = key_for(server)
        c1 = await conn.connect(key)
        first = c1.protocol
        c1.release()
        await server.close_all()  # returns once the server side is closed
        # Idle long enough to be peeked: the FIN may sit unread in the socket, and the
        # peek before reuse still sees it.
        clock.now += PEEK_AFTER_IDLE
        c2 = await conn.connect(key)
        assert c2.protocol is not first
        c2.release()


async def test_keepalive_expiry_uses_the_clock() -> None:
    clock = FakeClock()
    async with CountingServer() as server, TCPConnector(keepalive_timeout=5, clock=clock) as conn:
        key = key_for(server)
        c1 = await conn.connect(key)
        first = c1.protocol
        c1.release()
        clock.now += 4.9
        c2 = await conn.connect(key)
        assert c2.protocol is first
        c2.release()
        clock.now += 5.1
        c3 = await conn.connect(key)
        assert c3.protocol is not first
        c3.release()
        await first.wait_closed()
        assert not first.is_connected


async def test_force_close_and_close_are_never_pooled() -> None:
    async with CountingServer() as server:
        async with TCPConnector(force_close=True) as conn:
            c = await conn.connect(key_for(server))
            c.release()
            assert not conn._idle and conn._open == 0
        async with TCPConnector() as conn:
            c = await conn.connect(key_for(server))
            c.close()
            assert not conn._idle and conn._open == 0
        with pytest.raises(ValueError, match="keepalive_timeout cannot be set"):
            TCPConnector(force_close=True, keepalive_timeout=3)


async def test_unread_data_prevents_pooling() -> None:
    async with CountingServer() as server, TCPConnector() as conn:
        c = await conn.connect(key_for(server))
        c.write(b"ping")
        for _ in range(100):
            if c.protocol.has_unread_data():
                break
            await asyncio.sleep(0.01)
        c.release()
        assert not conn._idle and conn._open == 0


async def test_idle_connection_of_another_key_is_evicted_at_the_limit() -> None:
    async with CountingServer() as server, TCPConnector(limit=1) as conn:
        a = await conn.connect(key_for(server))
        proto_a = a.protocol
        a.release()
        b = await conn.connect(key_for(server, server_hostname="b"), timeout=1)
        assert conn._open == 1
        await proto_a.wait_closed()
        b.release()
        await server.wait_open(1)


async def test_close_waits_for_every_transport() -> None:
    async with CountingServer() as server:
        conn = TCPConnector()
        in_use = await conn.connect(key_for(server))
        idle = await conn.connect(key_for(server))
        idle.release()
        await conn.close()
        assert conn.closed
        assert not in_use.protocol.is_connected and not idle.protocol.is_connected
        in_use.release()  # late release after close is harmless
        with pytest.raises(ClientConnectionError, match="closed"):
            await conn.connect(key_for(server))


async def test_close_fails_queued_waiters() -> None:
    async with CountingServer() as server:
        conn = TCPConnector(limit=1)
        held = await conn.connect(key_for(server))
        task = asyncio.create_task(conn.connect(key_for(server)))
        await asyncio.sleep(0.01)
        await conn.close()
        with pytest.raises(ClientConnectionError, match="closed"):
            await task
        held.release()


async def test_properties_and_bad_limits() -> None:
    async with TCPConnector(limit=7, limit_per_host=3) as conn:
        assert (conn.limit, conn.limit_per_host, conn.force_close, conn.closed) == (7, 3, False, False)
    with pytest.raises(ValueError, match="limit must be >= 0"):
        TCPConnector(limit=-1)
    with pytest.raises(TypeError):
        TCPConnector(limit_per_host=1.5)  # type: ignore[arg-type]


async def test_released_paused_connection_reads_again() -> None:
    async with CountingServer() as server, TCPConnector() as conn:
        c = await conn.connect(key_for(server))
        assert c.transport is not None
        c.transport.pause_reading()  # e.g. a caller applying backpressure
        c.release()
        proto = c.protocol
        assert proto.transport is not None and proto.transport.is_reading()
        await server.close_all()
        await proto.wait_closed()  # the server's close was seen while idle
        assert conn._open == 0 and not conn._idle


async def test_read_raises_when_the_connection_breaks() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        sock = writer.get_extra_info("socket")
        # Linger 0: closing sends a TCP reset instead of a clean end of stream.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async with CountingServer(reset) as server, TCPConnector() as conn:
        c = await conn.connect(key_for(server))
        c.write(b"x")
        with pytest.raises(ClientConnectionResetError, match="reset"):
            await c.read()
        c.release()  # not alive any more: closed, not pooled
        assert conn._open == 0


async def test_dropped_connection_warns_and_gives_its_slot_back() -> None:
    async with CountingServer() as server, TCPConnector(limit=1) as conn:
        c = await conn.connect(key_for(server))
        with pytest.warns(ResourceWarning, match="Unclosed connection"):
            del c
            gc.collect()
        await asyncio.sleep(0)
        assert conn._open == 0
        again = await conn.connect(key_for(server), timeout=1)
        again.release()


async def test_cancelled_inside_trace_callbacks_leaks_nothing() -> None:
    gate = asyncio.Event()
    config = TraceConfig()

    async def stall(session: object, ctx: object, params: object) -> None:
        await gate.wait()

    config.on_connection_reuseconn.append(stall)
    config.on_connection_create_end.append(stall)
    config.freeze()
    traces = [Trace(None, config, SimpleNamespace())]
    async with CountingServer() as server, TCPConnector() as conn:
        key = key_for(server)
        creating = asyncio.create_task(conn.connect(key, traces))
        await server.wait_open(1)
        creating.cancel()
        with pytest.raises(asyncio.CancelledError):
            await creating
        assert conn._open == 0
        await server.wait_open(0)  # the half-made connection was closed
        c = await conn.connect(key)
        c.release()
        reusing = asyncio.create_task(conn.connect(key, traces))
        await asyncio.sleep(0.01)
        reusing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reusing
        assert conn._open == 1 and len(conn._idle_lru) == 1  # back in the pool

    # Queued for the only slot (limit=1): a queued_start callback that is cancelled or raises
    # must take the caller out of the queue, or the slot is later handed to nobody.
    entered = asyncio.Event()

    async def stall_queued(session: object, ctx: object, params: object) -> None:
        entered.set()
        await gate.wait()

    async def fail_queued(session: object, ctx: object, params: object) -> None:
        raise RuntimeError("queued_start callback failed")

    for callback in (stall_queued, fail_queued):
        queued_config = TraceConfig()
        queued_config.on_connection_queued_start.append(callback)
        queued_config.freeze()
        queued_traces = [Trace(None, queued_config, SimpleNamespace())]
        entered.clear()
        async with CountingServer() as server, TCPConnector(limit=1) as conn:
            key = key_for(server)
            holder = await conn.connect(key)
            queued = asyncio.create_task(conn.connect(key, queued_traces))
            if callback is stall_queued:
                await asyncio.wait_for(entered.wait(), 5)
                queued.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await queued
            else:
                with pytest.raises(RuntimeError, match="queued_start callback failed"):
                    await queued
            assert not conn._waiters
            holder.release()
            assert conn._open == 1 and len(conn._idle_lru) == 1  # parked, not handed to nobody
            again = await conn.connect(key, timeout=5)
            assert again is not None
            again.release()
            assert conn._open == 1 and len(conn._idle_lru) == 1


def test_connectors_share_the_base_keywords() -> None:
    import inspect
    import typing

    from ketch_connector import NamedPipeConnector, UnixConnector
    from ketch_connector._pool import BaseConnector, PoolOptions

    # One list (PoolOptions) for every connector's pool keywords; it must match BaseConnector.
    base = inspect.signature(BaseConnector).parameters
    assert set(PoolOptions.__annotations__) == set(base)
    for cls in (TCPConnector, UnixConnector, NamedPipeConnector):
        params = inspect.signature(cls.__init__).parameters
        pool = params["pool"]
        assert pool.kind is pool.VAR_KEYWORD
        assert typing.get_args(typing.get_type_hints(cls.__init__)["pool"]) == (PoolOptions,)
        assert not set(params) & set(base)


async def test_connector_pool_keywords_reach_the_base() -> None:
    clock = FakeClock()
    async with TCPConnector(limit=3, limit_per_host=2, keepalive_timeout=7, clock=clock) as conn:
        assert (conn.limit, conn.limit_per_host, conn._keepalive_timeout) == (3, 2, 7)
        assert conn._clock is clock
    with pytest.raises(TypeError, match="limt"):
        TCPConnector(limt=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="limit must be >= 0"):
        TCPConnector(limit=-1)


async def test_connect_pooled_hands_out_only_idle_live_connections() -> None:
    async with CountingServer() as server:
        conn = TCPConnector()
        key = key_for(server)
        assert conn.connect_pooled(key) is None  # nothing idle: the caller must connect()
        c1 = await conn.connect(key)
        proto = c1.protocol
        assert conn.connect_pooled(key) is None  # in use, not idle
        c1.release()
        c2 = conn.connect_pooled(key)
        assert c2 is not None and c2.protocol is proto
        assert conn.connect_pooled(key) is None  # taken
        c2.close()
        assert conn.connect_pooled(key) is None  # closed, never pooled
        assert server.accepted == 1
        await conn.close()
        with pytest.raises(ClientConnectionError, match="closed"):
            conn.connect_pooled(key)
