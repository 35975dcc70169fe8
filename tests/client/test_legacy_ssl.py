"""A request's deprecated ``verify_ssl=``, ``fingerprint=`` and ``ssl_context=`` (still
accepted by aiohttp 3.x with a DeprecationWarning) are folded into ``ssl=``, against a
loopback TLS server whose certificate the system trust store does not know."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trustme

import ketch
from tests.servers import HTTPServer, Reply, Request


async def ok(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return Reply(body=b"ok")


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[HTTPServer, ssl.SSLContext, bytes]]:
    """(the server, a client context trusting its CA, the SHA-256 of its certificate)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    async with HTTPServer(ok, ssl=server_ctx) as server:
        yield server, client_ctx, hashlib.sha256(der).digest()


@pytest.mark.parametrize("name", ["verify_ssl", "ssl_context", "fingerprint"])
async def test_deprecated_ssl_arguments_are_folded_into_ssl(
    name: str, tls_server: tuple[HTTPServer, ssl.SSLContext, bytes]
) -> None:
    server, client_ctx, digest = tls_server
    value: Any = {"verify_ssl": False, "ssl_context": client_ctx, "fingerprint": digest}[name]
    async with ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientConnectorCertificateError):
            await s.get(server.url)  # without them, the certificate is refused
        with pytest.warns(DeprecationWarning, match=rf"{name} is deprecated, use ssl="):
            async with s.get(server.url, **{name: value}) as resp:
                assert await resp.read() == b"ok"


async def test_wrong_fingerprint_is_refused(
    tls_server: tuple[HTTPServer, ssl.SSLContext, bytes]
) -> None:
    server, _, digest = tls_server
    async with ketch.ClientSession() as s:
        with pytest.warns(DeprecationWarning), pytest.raises(ketch.ServerFingerprintMismatch):
            await s.get(server.url, fingerprint=bytes(32))


async def test_verify_ssl_true_changes_nothing(
    tls_server: tuple[HTTPServer, ssl.SSLContext, bytes]
) -> None:
    server, client_ctx, _ = tls_server
    async with ketch.ClientSession() as s:
        async with s.get(server.url, verify_ssl=True, ssl=client_ctx) as resp:
            assert await resp.read() == b"ok"


@pytest.mark.parametrize(
    "kwargs",
    [{"verify_ssl": False, "ssl": False}, {"fingerprint": b"x" * 32, "verify_ssl": False}],
)
async def test_deprecated_ssl_arguments_with_ssl_are_a_value_error(
    kwargs: dict[str, Any], tls_server: tuple[HTTPServer, ssl.SSLContext, bytes]
) -> None:
    server, _, _ = tls_server
    async with ketch.ClientSession() as s:
        with pytest.raises(ValueError, match="mutually exclusive"):
            await s.get(server.url, **kwargs)
    assert server.requests == []
