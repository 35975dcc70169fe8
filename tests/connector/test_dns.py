"""DNS: the connector's cache, ThreadedResolver, AsyncResolver against a loopback DNS server."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

import pytest

from ketch_connector import (
    AbstractResolver,
    AsyncResolver,
    ClientConnectorDNSError,
    ConnectionKey,
    ConnectionTimeoutError,
    DefaultResolver,
    PoolTimeoutError,
    ResolveResult,
    TCPConnector,
    ThreadedResolver,
)
from ketch_tracing import Trace, TraceConfig

from .dns_server import LoopbackDNS
from .helpers import CountingServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class StaticResolver(AbstractResolver):
    """A resolver answering from a table (a user-written resolver, as aiohttp allows).

    Counts its calls; while ``gate`` is set to an unset Event, answers wait for it.
    """

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if self.gate is not None:
            await self.gate.wait()
        if host not in self.table:
            raise OSError(None, f"no such name {host!r}")
        return [
            {"hostname": host, "host": a, "port": port,
             "family": socket.AF_INET6 if ":" in a else socket.AF_INET, "proto": 0, "flags": 0}
            for a in self.table[host]
        ]

    async def close(self) -> None:
        self.closed = True


def dns_traces(events: list[str]) -> list[Trace]:
    config = TraceConfig()
    for name in ("dns_cache_hit", "dns_cache_miss", "dns_resolvehost_start", "dns_resolvehost_end"):
        async def on(s: object, ctx: object, params: object, name: str = name) -> None:
            events.append(f"{name}:{params.host}")  # type: ignore[attr-defined]

        getattr(config, f"on_{name}").append(on)
    config.freeze()
    return [Trace(None, config, SimpleNamespace())]


async def use(conn: TCPConnector, host: str, port: int, traces: list[Trace] | None = None) -> None:
    c = await conn.connect(ConnectionKey(host, port), traces or ())
    c.close()


async def test_cache_hit_miss_and_ttl() -> None:
    clock = FakeClock()
    resolver = StaticResolver({"svc.test": ["127.0.0.1"]})
    events: list[str] = []
    async with CountingServer() as server, TCPConnector(
        resolver=resolver, ttl_dns_cache=10, clock=clock
    ) as conn:
        await use(conn, "svc.test", server.port, dns_traces(events))
        await use(conn, "svc.test", server.port, dns_traces(events))
        assert resolver.calls == ["svc.test"]
        assert events == [
            "dns_cache_miss:svc.test", "dns_resolvehost_start:svc.test",
            "dns_resolvehost_end:svc.test", "dns_cache_hit:svc.test",
        ]
        clock.now += 10.5
        await use(conn, "svc.test", server.port)
        assert resolver.calls == ["svc.test"] * 2
    assert not resolver.closed  # a resolver the user gave is theirs to close


async def test_ttl_none_keeps_forever_and_clear() -> None:
    clock = FakeClock()
    resolver = StaticResolver({"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]})
    async with CountingServer() as server, TCPConnector(
        resolver=resolver, ttl_dns_cache=None, clock=clock
    ) as conn:
        await use(conn, "a.test", server.port)
        await use(conn, "b.test", server.port)
        clock.now += 10**9
        await use(conn, "a.test", server.port)
        assert resolver.calls == ["a.test", "b.test"]
        conn.clear_dns_cache("a.test", server.port)
        await use(conn, "a.test", server.port)
        await use(conn, "b.test", server.port)
        assert resolver.calls == ["a.test", "b.test", "a.test"]
        conn.clear_dns_cache()
        await use(conn, "b.test", server.port)
        assert resolver.calls[-1] == "b.test" and len(resolver.calls) == 4
        with pytest.raises(ValueError, match="give both host and port"):
            conn.clear_dns_cache("a.test")


async def test_cache_is_bounded() -> None:
    names = {f"n{i}.test": ["127.0.0.1"] for i in range(5)}
    resolver = StaticResolver(names)
    async with CountingServer() as server, TCPConnector(resolver=resolver, dns_cache_size=2) as conn:
        for name in names:
            await use(conn, name, server.port)
        assert len(conn._dns) == 2
        await use(conn, "n4.test", server.port)  # most recent: still cached
        await use(conn, "n0.test", server.port)  # evicted long ago
        assert resolver.calls.count("n4.test") == 1 and resolver.calls.count("n0.test") == 2


async def test_concurrent_lookups_share_one_query() -> None:
    resolver = StaticResolver({"svc.test": ["127.0.0.1"]})
    resolver.gate = asyncio.Event()
    async with CountingServer() as server, TCPConnector(resolver=resolver) as conn:
        tasks = [asyncio.create_task(use(conn, "svc.test", server.port)) for _ in range(5)]
        await asyncio.sleep(0.01)
        # One caller giving up does not cancel the others' shared lookup.
        tasks[0].cancel()
        await asyncio.sleep(0.01)
        resolver.gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert results[1:] == [None] * 4
        assert resolver.calls == ["svc.test"]
        assert conn._open == 0


async def test_without_cache_every_request_resolves() -> None:
    resolver = StaticResolver({"svc.test": ["127.0.0.1"]})
    events: list[str] = []
    async with CountingServer() as server, TCPConnector(resolver=resolver, use_dns_cache=False) as conn:
        assert not conn.use_dns_cache
        await use(conn, "svc.test", server.port, dns_traces(events))
        await use(conn, "svc.test", server.port)
        assert resolver.calls == ["svc.test", "svc.test"]
        assert events == ["dns_resolvehost_start:svc.test", "dns_resolvehost_end:svc.test"]


async def test_resolution_failure_is_dns_error_and_frees_the_slot() -> None:
    resolver = StaticResolver({})
    async with TCPConnector(resolver=resolver, limit=1) as conn:
        with pytest.raises(ClientConnectorDNSError) as info:
            await use(conn, "missing.test", 80)
        assert info.value.host == "missing.test" and "missing.test" in str(info.value)
        assert conn._open == 0
        assert len(conn._dns) == 0  # failures are not cached


async def test_ip_literals_skip_the_resolver() -> None:
    resolver = StaticResolver({})
    async with CountingServer() as server, TCPConnector(resolver=resolver) as conn:
        await use(conn, "127.0.0.1", server.port)
    async with CountingServer(host="::1") as server6, TCPConnector(resolver=resolver) as conn:
        await use(conn, "::1", server6.port)
    assert resolver.calls == []


async def test_threaded_resolver_resolves_localhost() -> None:
    resolver = ThreadedResolver()
    assert DefaultResolver is ThreadedResolver
    results = await resolver.resolve("localhost", 8080, family=socket.AF_INET)
    assert {"hostname": "localhost", "host": "127.0.0.1", "port": 8080,
            "family": socket.AF_INET} .items() <= results[0].items()
    with pytest.raises(OSError):
        await resolver.resolve("no-such-host.invalid", 80)
    await resolver.close()


async def test_async_resolver_against_loopback_dns() -> None:
    zone = {"svc.test": ["127.0.0.1", "::1"], "v6only.test": ["fd00::5"]}
    with LoopbackDNS(zone, slow={"slow.test"}, delay=0.6) as dns:
        resolver = AsyncResolver(nameservers=[dns.nameserver], timeout=0.2, tries=1)
        try:
            v4 = await resolver.resolve("svc.test", 443)
            assert [(r["host"], r["port"], r["family"]) for r in v4] == [
                ("127.0.0.1", 443, socket.AF_INET)
            ]
            v6 = await resolver.resolve("v6only.test", 80, family=socket.AF_INET6)
            assert [(r["host"], r["family"]) for r in v6] == [("fd00::5", socket.AF_INET6)]
            both = await resolver.resolve("svc.test", 80, family=socket.AF_UNSPEC)
            assert {r["host"] for r in both} == {"127.0.0.1", "::1"}
            with pytest.raises(OSError, match="not found.*nope.test"):
                await resolver.resolve("nope.test", 80)
            with pytest.raises(OSError, match="Timeout.*slow.test"):
                await resolver.resolve("slow.test", 80)
            assert dns.queries_for("v6only.test") == ["AAAA"]
        finally:
            await resolver.close()


async def test_connector_with_async_resolver() -> None:
    with LoopbackDNS({"svc.test": ["127.0.0.1"]}) as dns:
        resolver = AsyncResolver(nameservers=[dns.nameserver], timeout=0.5, tries=1)
        async with CountingServer() as server, TCPConnector(resolver=resolver) as conn:
            c = await conn.connect(ConnectionKey("svc.test", server.port))
            c.write(b"via dns")
            assert await c.read() == b"via dns"
            c.release()
            with pytest.raises(ClientConnectorDNSError) as info:
                await conn.connect(ConnectionKey("nope.test", 80))
            assert isinstance(info.value.os_error, OSError)
        await resolver.close()


async def test_sock_connect_does_not_bound_resolution_but_timeout_does() -> None:
    resolver = StaticResolver({"svc.test": ["127.0.0.1"]})
    resolver.gate = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with CountingServer() as server, TCPConnector(resolver=resolver, use_dns_cache=False) as conn:
        loop.call_later(0.15, resolver.gate.set)
        c = await conn.connect(ConnectionKey("svc.test", server.port), sock_connect=0.05)
        c.close()
        resolver.gate.clear()
        with pytest.raises(ConnectionTimeoutError) as info:
            await conn.connect(ConnectionKey("svc.test", server.port), timeout=0.05)
        assert not isinstance(info.value, PoolTimeoutError)
        assert conn._open == 0
