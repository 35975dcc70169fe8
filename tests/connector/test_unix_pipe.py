"""UnixConnector against a real Unix socket server; NamedPipeConnector (Windows only)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ketch_connector import (
    ClientConnectorError,
    ConnectionKey,
    NamedPipeConnector,
    UnixClientConnectorError,
    UnixConnector,
)

from .helpers import CountingServer

unix_only = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets: not on Windows")


@pytest.fixture
def sock_path(tmp_path: Path) -> str:
    return str(tmp_path / "s.sock")


@unix_only
async def test_unix_connector_pools_connections(sock_path: str) -> None:
    async with CountingServer(path=sock_path) as server, UnixConnector(sock_path) as conn:
        assert conn.path == sock_path
        key = ConnectionKey("localhost", 80)
        c = await conn.connect(key)
        c.write(b"over unix")
        assert await c.read() == b"over unix"
        proto = c.protocol
        c.release()
        c2 = await conn.connect(key)
        assert c2.protocol is proto
        c2.release()
        assert server.accepted == 1
        await server.close_all()
        c3 = await conn.connect(key)  # the server closed it: detected, a new one is made
        assert c3.protocol is not proto
        c3.release()


@unix_only
async def test_unix_connector_with_tls(
    sock_path: str, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with CountingServer(path=sock_path, ssl_context=server_ctx), UnixConnector(sock_path) as conn:
        c = await conn.connect(ConnectionKey("localhost", 443, True, client_ctx))
        c.write(b"tls over unix")
        assert await c.read() == b"tls over unix"
        c.release()


@unix_only
async def test_missing_socket_is_unix_connector_error(sock_path: str) -> None:
    async with UnixConnector(sock_path) as conn:
        with pytest.raises(UnixClientConnectorError) as info:
            await conn.connect(ConnectionKey("localhost", 80))
        assert info.value.path == sock_path
        assert isinstance(info.value.os_error, FileNotFoundError)
        assert sock_path in str(info.value)
        assert conn._open == 0


@pytest.mark.skipif(sys.platform == "win32", reason="checks the error on non-Proactor loops")
async def test_named_pipe_connector_needs_proactor() -> None:
    with pytest.raises(RuntimeError, match="needs the Windows ProactorEventLoop.*running loop is"):
        NamedPipeConnector(r"\\.\pipe\ketch-test")


# The remaining tests need a Windows Proactor loop (named pipes exist only there); they
# run against a real pipe server on Windows and are skipped everywhere else.
@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="named pipes need Windows' ProactorEventLoop")
async def test_named_pipe_round_trip() -> None:  # pragma: no cover - Windows only
    name = rf"\\.\pipe\ketch-test-{id(object())}"
    loop = asyncio.get_running_loop()

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[attr-defined]

    servers = await loop.start_serving_pipe(Echo, name)  # type: ignore[attr-defined]
    try:
        async with NamedPipeConnector(name) as conn:
            c = await conn.connect(ConnectionKey("localhost", 80))
            c.write(b"over a pipe")
            assert await c.read() == b"over a pipe"
            c.release()
    finally:
        for s in servers:
            s.close()


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="named pipes need Windows' ProactorEventLoop")
async def test_named_pipe_missing() -> None:  # pragma: no cover - Windows only
    async with NamedPipeConnector(r"\\.\pipe\ketch-no-such-pipe") as conn:
        with pytest.raises(ClientConnectorError):
            await conn.connect(ConnectionKey("localhost", 80))


# Named pipes exist only on Windows, so no real pipe can be opened here. These two tests give
# the running loop a stand-in ``create_pipe_connection`` that connects over a real Unix socket
# pair instead; everything after it (the connector's own code) runs for real.
def _install_pipe_stand_in(
    monkeypatch: pytest.MonkeyPatch, peers: list[socket.socket], wire_protocol: bool
) -> None:
    loop = asyncio.get_running_loop()

    async def create_pipe_connection(
        factory: Callable[[], asyncio.Protocol], address: str
    ) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
        ours, theirs = socket.socketpair()
        peers.append(theirs)
        protocol = factory()
        # wire_protocol=False: the transport is made for a throwaway protocol, so the one
        # the connector created never sees connection_made.
        target = protocol if wire_protocol else asyncio.Protocol()
        transport, _ = await loop.create_unix_connection(lambda: target, sock=ours)
        return transport, protocol

    monkeypatch.setattr(loop, "create_pipe_connection", create_pipe_connection, raising=False)


@unix_only
async def test_named_pipe_connector_code_path(monkeypatch: pytest.MonkeyPatch) -> None:
    peers: list[socket.socket] = []
    _install_pipe_stand_in(monkeypatch, peers, wire_protocol=True)
    try:
        async with NamedPipeConnector(r"\\.\pipe\ketch-test") as conn:
            c = await conn.connect(ConnectionKey("localhost", 80))
            assert c.transport is not None
            c.write(b"over a pipe")
            peers[0].setblocking(False)
            got = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(peers[0], 64), 5)
            assert got == b"over a pipe"
            c.release()
            assert conn._open == 1 and len(conn._idle_lru) == 1
    finally:
        for peer in peers:
            peer.close()


@unix_only
async def test_named_pipe_never_connected_is_connector_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    peers: list[socket.socket] = []
    _install_pipe_stand_in(monkeypatch, peers, wire_protocol=False)
    try:
        async with NamedPipeConnector(r"\\.\pipe\ketch-test") as conn:
            with pytest.raises(ClientConnectorError, match="never reported the connection made"):
                await conn.connect(ConnectionKey("localhost", 80))
            assert conn._open == 0
            peers[0].setblocking(False)
            got = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(peers[0], 1), 5)
            assert got == b""  # the half-made transport was closed
    finally:
        for peer in peers:
            peer.close()
