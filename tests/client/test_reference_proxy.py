"""The reference's "Proxy support" section, run as written.

Each example is the reference's code with ``import ketch as aiohttp``; only the addresses
change: ``http://python.org`` becomes a loopback server, ``http://proxy.com`` and
``some.proxy.com`` a proxy.py started on loopback (with basic auth ``user``/``pass`` where
the example authenticates). What the examples print is checked, and the target checks
that the request really came through the proxy (proxy.py adds a ``Via`` header).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

import ketch as aiohttp
from tests.client.proxy_helpers import ProxyProcess, start_proxy_py
from tests.servers import HTTPServer, Reply, Request


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    proc = start_proxy_py()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def auth_proxy() -> Iterator[ProxyProcess]:
    proc = start_proxy_py(auth=True, credentials=("user", "pass"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    d = tmp_path_factory.mktemp("ref_tls")
    chain, key = d / "chain.pem", d / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    return chain, key


@pytest.fixture(scope="module")
def tls_proxy(tls_files: tuple[Path, Path]) -> Iterator[ProxyProcess]:
    proc = start_proxy_py(tls=tls_files)
    yield proc
    proc.stop()


async def python_org(req: Request, writer: asyncio.StreamWriter) -> Reply:
    """Stands in for http://python.org; 502 unless the request came through proxy.py."""
    if "proxy.py" not in (req.header("Via") or ""):
        return Reply(502, b"not proxied", reason="Not Proxied")
    return Reply(200, b"welcome")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("NETRC", "REQUEST_METHOD"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


async def test_proxy_parameter(proxy: ProxyProcess, capsys: pytest.CaptureFixture[str]) -> None:
    async with HTTPServer(python_org) as python:
        async with aiohttp.ClientSession() as session:
            async with session.get(python.url,
                                   proxy=proxy.url) as resp:
                print(resp.status)
    assert capsys.readouterr().out == "200\n"


async def test_proxy_authorization(
    auth_proxy: ProxyProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    async with HTTPServer(python_org) as python:
        async with aiohttp.ClientSession() as session:
            proxy_auth = aiohttp.BasicAuth('user', 'pass')
            async with session.get(python.url,
                                   proxy=auth_proxy.url,
                                   proxy_auth=proxy_auth) as resp:
                print(resp.status)
    assert capsys.readouterr().out == "200\n"


async def test_credentials_in_proxy_url(auth_proxy: ProxyProcess) -> None:
    some_proxy = f"http://user:pass@127.0.0.1:{auth_proxy.port}"
    async with HTTPServer(python_org) as python, aiohttp.ClientSession() as session:
        async with session.get(python.url,
                               proxy=some_proxy) as resp:
            assert resp.status == 200


async def test_default_proxy(auth_proxy: ProxyProcess, capsys: pytest.CaptureFixture[str]) -> None:
    async with HTTPServer(python_org) as python:
        proxy_auth = aiohttp.BasicAuth('user', 'pass')
        async with aiohttp.ClientSession(proxy=auth_proxy.url, proxy_auth=proxy_auth) as session:
            async with session.get(python.url) as resp:
                print(resp.status)
    assert capsys.readouterr().out == "200\n"


async def test_trust_env(
    clean_env: pytest.MonkeyPatch, proxy: ProxyProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("HTTP_PROXY", proxy.url)
    async with HTTPServer(python_org) as python:
        # "it won't read environment variables by default"
        async with aiohttp.ClientSession() as session:
            async with session.get(python.url) as resp:
                print(resp.status)
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(python.url) as resp:
                print(resp.status)
    assert capsys.readouterr().out == "502\n200\n"


async def test_hosts_in_no_proxy_bypass_the_proxy(
    clean_env: pytest.MonkeyPatch, proxy: ProxyProcess
) -> None:
    clean_env.setenv("HTTP_PROXY", proxy.url)
    clean_env.setenv("no_proxy", "127.0.0.1")
    async with HTTPServer(python_org) as python:
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(python.url) as resp:
                assert resp.status == 502  # went direct: no Via


async def test_proxy_credentials_from_netrc(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, auth_proxy: ProxyProcess
) -> None:
    # "Proxy credentials are given from ~/.netrc file if present"
    (tmp_path / ".netrc").write_text("machine localhost login user password pass\n")
    clean_env.setenv("HTTP_PROXY", f"http://localhost:{auth_proxy.port}")
    async with HTTPServer(python_org) as python:
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(python.url) as resp:
                assert resp.status == 200


async def test_custom_ssl_context_for_https_proxy_and_endpoint(
    tls_proxy: ProxyProcess, ca: trustme.CA, tls_files: tuple[Path, Path]
) -> None:
    # TLS in TLS, and the "important" box: one custom SSLContext establishes both the TLS
    # session with the HTTPS endpoint and the TLS tunnel to the HTTPS proxy.
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(*tls_files)

    async def endpoint(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(200, b"secure hello")

    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)  # the trust chain recognizes the endpoint's and the proxy's
    async with HTTPServer(endpoint, ssl=server_ctx) as https_endpoint:
        async with aiohttp.ClientSession() as session:
            async with session.get(https_endpoint.url, proxy=tls_proxy.url, ssl=ctx) as resp:
                assert resp.status == 200
                assert await resp.text() == "secure hello"
