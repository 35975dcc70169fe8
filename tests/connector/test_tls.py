"""TLS against real loopback TLS servers with trustme certificates."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ssl
from types import SimpleNamespace

import pytest
import trustme

from ketch_connector import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientSSLError,
    ConnectionKey,
    Fingerprint,
    ServerFingerprintMismatch,
    TCPConnector,
)
from ketch_tracing import Trace, TraceConfig

from .helpers import CountingServer


def tls_key(server: CountingServer, host: str = "127.0.0.1", **kw: object) -> ConnectionKey:
    return ConnectionKey(host, server.port, True, **kw)  # type: ignore[arg-type]


async def roundtrip(conn: TCPConnector, key: ConnectionKey) -> bytes:
    c = await conn.connect(key)
    c.write(b"hello")
    data = await c.read()
    c.release()
    return data


async def test_verified_with_context_and_tls_signals(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    events: list[str] = []
    config = TraceConfig()

    async def start(s: object, ctx: object, p: object) -> None:
        events.append("start")

    async def end(s: object, ctx: object, p: object) -> None:
        events.append("end")

    config.on_tls_handshake_start.append(start)
    config.on_tls_handshake_end.append(end)
    config.freeze()
    async with CountingServer(ssl_context=server_ctx) as server, TCPConnector(ssl=client_ctx) as conn:
        c = await conn.connect(tls_key(server), [Trace(None, config, SimpleNamespace())])
        assert c.transport is not None and c.transport.get_extra_info("ssl_object") is not None
        c.write(b"ping")
        assert await c.read() == b"ping"
        c.release()
        assert events == ["start", "end"]
        # Pooled TLS connection is reused, no second handshake.
        assert await roundtrip(conn, tls_key(server)) == b"hello"
        assert server.accepted == 1 and events == ["start", "end"]


async def test_per_key_ssl_overrides_connector_default(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with CountingServer(ssl_context=server_ctx) as server, TCPConnector() as conn:
        # The default (system trust store) does not know the trustme CA...
        with pytest.raises(ClientConnectorCertificateError):
            await conn.connect(tls_key(server))
        # ...a per-request context does, and ssl=False skips verification.
        assert await roundtrip(conn, tls_key(server, ssl=client_ctx)) == b"hello"
        assert await roundtrip(conn, tls_key(server, ssl=False)) == b"hello"
        assert server.accepted == 2  # different keys never share a connection


async def test_unknown_ca(server_ctx: ssl.SSLContext) -> None:
    other = ssl.create_default_context()
    trustme.CA().configure_trust(other)
    async with CountingServer(ssl_context=server_ctx) as server, TCPConnector(ssl=other) as conn:
        with pytest.raises(ClientConnectorCertificateError) as info:
            await conn.connect(tls_key(server))
        err = info.value
        assert isinstance(err, ssl.CertificateError) and isinstance(err, ClientSSLError)
        assert isinstance(err.certificate_error, ssl.SSLCertVerificationError)
        assert (err.host, err.port) == ("127.0.0.1", server.port)
        assert "Cannot connect to host 127.0.0.1" in str(err)
        assert conn._open == 0


async def test_wrong_host(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> None:
    async with CountingServer(ssl_context=server_ctx) as server, TCPConnector(ssl=client_ctx) as conn:
        key = tls_key(server, server_hostname="wrong.example")
        with pytest.raises(ClientConnectorCertificateError) as info:
            await conn.connect(key)
        assert "wrong.example" in str(info.value.certificate_error)
        # server_hostname also names what the certificate must match when it is right.
        assert await roundtrip(conn, tls_key(server, server_hostname="localhost")) == b"hello"


async def test_expired_certificate(ca: trustme.CA, client_ctx: ssl.SSLContext) -> None:
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    leaf = ca.issue_cert(
        "127.0.0.1", not_before=past - datetime.timedelta(days=30), not_after=past
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    async with CountingServer(ssl_context=ctx) as server, TCPConnector(ssl=client_ctx) as conn:
        with pytest.raises(ClientConnectorCertificateError) as info:
            await conn.connect(tls_key(server))
        assert "expired" in str(info.value.certificate_error)


async def test_handshake_failure_is_ssl_error() -> None:
    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await reader.read()

    # An https:// request to a port speaking plain HTTP.
    async with CountingServer(plain_http) as server, TCPConnector() as conn:
        with pytest.raises(ClientConnectorSSLError) as info:
            await conn.connect(tls_key(server))
        assert isinstance(info.value, ssl.SSLError)
        assert not isinstance(info.value, ssl.CertificateError)
        assert conn._open == 0


async def test_fingerprint_match_and_mismatch(
    server_ctx: ssl.SSLContext, server_cert: trustme.LeafCert
) -> None:
    der = ssl.PEM_cert_to_DER_cert(server_cert.cert_chain_pems[0].bytes().decode())
    good = hashlib.sha256(der).digest()
    bad = b"\x00" * 32
    async with CountingServer(ssl_context=server_ctx) as server, TCPConnector() as conn:
        assert await roundtrip(conn, tls_key(server, ssl=Fingerprint(good))) == b"hello"
        with pytest.raises(ServerFingerprintMismatch) as info:
            await conn.connect(tls_key(server, ssl=Fingerprint(bad)))
        err = info.value
        assert (err.expected, err.got, err.host, err.port) == (bad, good, "127.0.0.1", server.port)
        assert conn._open == 1  # only the pooled good one


async def test_fingerprint_rejects_weak_digests() -> None:
    with pytest.raises(ValueError, match="md5 is not allowed"):
        Fingerprint(hashlib.md5(b"x").digest())
    with pytest.raises(ValueError, match="sha1 is not allowed"):
        Fingerprint(hashlib.sha1(b"x").digest())
    with pytest.raises(ValueError, match="invalid length 3"):
        Fingerprint(b"abc")


async def test_connection_refused_is_connector_error() -> None:
    async with CountingServer() as server:
        port = server.port
    async with TCPConnector() as conn:
        with pytest.raises(ClientConnectorError) as info:
            await conn.connect(ConnectionKey("127.0.0.1", port, True))
        assert isinstance(info.value, OSError)
        assert isinstance(info.value.os_error, ConnectionRefusedError)
        assert conn._open == 0


async def test_deprecated_tls_arguments(client_ctx: ssl.SSLContext) -> None:
    with pytest.warns(DeprecationWarning, match="verify_ssl is deprecated"):
        conn = TCPConnector(verify_ssl=False)
    assert conn.ssl is False
    await conn.close()
    with pytest.warns(DeprecationWarning, match="fingerprint is deprecated"):
        conn = TCPConnector(fingerprint=b"\x01" * 32)
    assert conn.ssl == Fingerprint(b"\x01" * 32)
    await conn.close()
    with pytest.raises(ValueError, match="mutually exclusive"):
        TCPConnector(ssl=client_ctx, verify_ssl=False)
    with pytest.raises(ValueError, match="ssl should be"):
        TCPConnector(ssl="yes")  # type: ignore[arg-type]


async def test_close_waits_for_tls_transports(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with CountingServer(ssl_context=server_ctx) as server:
        conn = TCPConnector(ssl=client_ctx)
        c = await conn.connect(tls_key(server))
        proto = c.protocol
        c.release()
        await conn.close()
        assert not proto.is_connected
