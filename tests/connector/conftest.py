"""Fixtures for the connector tests: a trustme CA and TLS contexts, forward proxies."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from ..proxy_servers import ProxyPy


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", "::1")


@pytest.fixture
def server_ctx(server_cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    return ctx


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyPy]:
    with ProxyPy() as p:
        yield p


@pytest.fixture(scope="module")
def auth_proxy() -> Iterator[ProxyPy]:
    with ProxyPy(basic_auth="user:pass") as p:
        yield p


@pytest.fixture(scope="module")
def tls_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyPy]:
    # Its own CA, so the tests prove which trust store verifies the proxy.
    proxy_ca = trustme.CA()
    leaf = proxy_ca.issue_cert("127.0.0.1", "localhost")
    d: Path = tmp_path_factory.mktemp("tls-proxy")
    cert, key = d / "cert.pem", d / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    for pem in leaf.cert_chain_pems[1:]:
        pem.write_to_path(str(cert), append=True)
    leaf.private_key_pem.write_to_path(str(key))
    (d / "ca.pem").write_bytes(proxy_ca.cert_pem.bytes())
    with ProxyPy(tls=(str(cert), str(key))) as p:
        p.ca_file = str(d / "ca.pem")  # type: ignore[attr-defined]
        yield p
