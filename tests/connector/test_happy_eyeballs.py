"""Happy Eyeballs (RFC 8305), family, local_addr and socket_factory against loopback servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from ketch_connector import AsyncResolver, ClientConnectorError, ConnectionKey, TCPConnector
from ketch_connector._happy_eyeballs import interleave_families  # the RFC 8305 §4 rule

from .dns_server import LoopbackDNS
from .helpers import CountingServer
from .test_dns import StaticResolver

V4, V6 = socket.AF_INET, socket.AF_INET6


def info(family: int, host: str) -> tuple[int, int, int, str, tuple[object, ...]]:
    return (family, socket.SOCK_STREAM, 6, "", (host, 1))


def test_interleave_alternates_families() -> None:
    infos = [info(V6, "a"), info(V6, "b"), info(V6, "c"), info(V4, "x"), info(V4, "y")]
    hosts = [i[4][0] for i in interleave_families(infos, 1)]
    assert hosts == ["a", "x", "b", "y", "c"]
    hosts = [i[4][0] for i in interleave_families(infos, 2)]
    assert hosts == ["a", "b", "x", "c", "y"]
    assert interleave_families(infos[:3], 1) == infos[:3]


class Blackhole:
    """A listening socket whose accept queue is full: further connects hang (SYNs dropped)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.fillers: list[socket.socket] = []

    async def __aenter__(self) -> int:
        self.listener.bind(("127.0.0.2", 0))
        self.listener.listen(0)
        port = int(self.listener.getsockname()[1])
        for _ in range(4):  # fill the backlog; later attempts get no answer
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.2", port))
            except BlockingIOError:
                pass
            self.fillers.append(s)
        await asyncio.sleep(0.05)
        return port

    async def __aexit__(self, *exc: object) -> None:
        for s in self.fillers:
            s.close()
        self.listener.close()


@pytest.fixture
async def blackhole_port() -> AsyncIterator[int]:
    async with Blackhole() as port:
        yield port


async def test_next_address_is_tried_after_the_delay(blackhole_port: int) -> None:
    # The name's first address never answers; the second, tried after the delay, does.
    async with CountingServer(port=blackhole_port) as server:
        resolver = StaticResolver({"svc.test": ["127.0.0.2", "127.0.0.1"]})
        async with TCPConnector(resolver=resolver, happy_eyeballs_delay=0.05) as conn:
            c = await conn.connect(ConnectionKey("svc.test", server.port), timeout=5)
            assert c.transport is not None
            assert c.transport.get_extra_info("peername")[0] == "127.0.0.1"
            c.release()


async def test_failed_address_falls_through_at_once() -> None:
    async with CountingServer() as server:
        # 127.0.0.3 has nothing listening on that port: refused, then 127.0.0.1 answers.
        resolver = StaticResolver({"svc.test": ["127.0.0.3", "127.0.0.1"]})
        async with TCPConnector(resolver=resolver, happy_eyeballs_delay=None) as conn:
            c = await conn.connect(ConnectionKey("svc.test", server.port))
            assert c.transport is not None
            assert c.transport.get_extra_info("peername")[0] == "127.0.0.1"
            c.release()


async def test_all_addresses_fail() -> None:
    async with CountingServer() as server:
        port = server.port
    resolver = StaticResolver({"svc.test": ["127.0.0.3", "127.0.0.4"]})
    async with TCPConnector(resolver=resolver) as conn:
        with pytest.raises(ClientConnectorError) as info_:
            await conn.connect(ConnectionKey("svc.test", port))
        assert isinstance(info_.value.os_error, ConnectionRefusedError)
        assert conn._open == 0


async def test_ipv6_and_ipv4_race_prefers_first_answer() -> None:
    async with CountingServer(host="::1") as server:
        resolver = StaticResolver({"svc.test": ["::1", "127.0.0.1"]})
        async with TCPConnector(resolver=resolver) as conn:
            c = await conn.connect(ConnectionKey("svc.test", server.port))
            assert c.transport is not None
            assert c.transport.get_extra_info("peername")[0] == "::1"
            c.release()


async def test_socket_factory_and_local_addr() -> None:
    made: list[tuple[int, int, int]] = []

    def factory(addr_info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
        family, type_, proto, _, _ = addr_info
        made.append((family, type_, proto))
        sock = socket.socket(family=family, type=type_, proto=proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)
        return sock

    peers: list[str] = []

    async def who(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[0])
        await reader.read()

    async with CountingServer(who) as server, TCPConnector(
        socket_factory=factory, local_addr=("127.0.0.5", 0)
    ) as conn:
        c = await conn.connect(ConnectionKey("127.0.0.1", server.port))
        sock = c.protocol.sock
        assert sock is not None
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockname()[0] == "127.0.0.5"
        await server.wait_open(1)
        assert peers == ["127.0.0.5"]
        assert made == [(V4, socket.SOCK_STREAM, socket.IPPROTO_TCP)]
        c.close()


async def test_family_restricts_resolution() -> None:
    with LoopbackDNS({"svc.test": ["127.0.0.1", "::1"]}) as dns:
        resolver = AsyncResolver(nameservers=[dns.nameserver], timeout=0.5, tries=1)
        for family, host in ((V6, "::1"), (V4, "127.0.0.1")):
            async with CountingServer(host=host) as server, TCPConnector(
                family=family, resolver=resolver
            ) as conn:
                assert conn.family == family
                c = await conn.connect(ConnectionKey("svc.test", server.port))
                assert c.transport is not None
                assert c.transport.get_extra_info("peername")[0] == host
                c.close()
        await resolver.close()
        assert sorted(dns.queries_for("svc.test")) == ["A", "AAAA"]
