"""Requests through real forward proxies on loopback: proxy.py, tinyproxy and a recording proxy.

Every proxy process starts once per module. Targets are loopback servers from
``tests.servers``; https targets and the https proxy use trustme certificates.
A forwarding proxy adds a ``Via`` header to plain http requests, which is how a target
tells a proxied request from a direct one.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

import ketch
from tests.client.proxy_helpers import (
    PASSWORD,
    TINYPROXY,
    TINYPROXY_MISSING,
    USER,
    ProxyProcess,
    RecordingProxy,
    start_proxy_py,
    start_tinyproxy,
)
from tests.servers import HTTPServer, Reply, Request

GOOD = ketch.BasicAuth(USER, PASSWORD)
BAD = ketch.BasicAuth(USER, "wrong")


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert = ca.issue_cert("127.0.0.1", "::1", "localhost")
    d = tmp_path_factory.mktemp("tls")
    chain, key = d / "chain.pem", d / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    return chain, key


@pytest.fixture(scope="module")
def server_ctx(cert_files: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert_files)
    return ctx


@pytest.fixture(scope="module")
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    """Trusts the test CA, which signed both the https targets and the https proxy."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def _running(proc: ProxyProcess) -> Iterator[ProxyProcess]:
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def proxy_py() -> Iterator[ProxyProcess]:
    yield from _running(start_proxy_py())


@pytest.fixture(scope="module")
def proxy_py_auth() -> Iterator[ProxyProcess]:
    yield from _running(start_proxy_py(auth=True))


@pytest.fixture(scope="module")
def proxy_py_tls(cert_files: tuple[Path, Path]) -> Iterator[ProxyProcess]:
    yield from _running(start_proxy_py(tls=cert_files))


@pytest.fixture(scope="module")
def tinyproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    if TINYPROXY is None:
        pytest.skip(TINYPROXY_MISSING)
    yield from _running(start_tinyproxy(tmp_path_factory.mktemp("tinyproxy")))


@pytest.fixture(scope="module")
def tinyproxy_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    if TINYPROXY is None:
        pytest.skip(TINYPROXY_MISSING)
    yield from _running(start_tinyproxy(tmp_path_factory.mktemp("tinyproxy_auth"), auth=True))


@pytest.fixture(params=["proxy.py", "tinyproxy"])
def open_proxy(request: pytest.FixtureRequest) -> ProxyProcess:
    name = "proxy_py" if request.param == "proxy.py" else "tinyproxy"
    proc: ProxyProcess = request.getfixturevalue(name)
    return proc


@pytest.fixture(params=["proxy.py", "tinyproxy"])
def auth_proxy(request: pytest.FixtureRequest) -> ProxyProcess:
    name = "proxy_py_auth" if request.param == "proxy.py" else "tinyproxy_auth"
    proc: ProxyProcess = request.getfixturevalue(name)
    return proc


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No proxy variables, no NETRC, HOME in a temp directory (so no ~/.netrc)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("NETRC", "REQUEST_METHOD"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


async def echo(req: Request, writer: object) -> Reply:
    """Answers with what the target saw."""
    seen = {
        "target": req.target,
        "via": req.header("Via"),
        "authorization": req.header("Authorization"),
        "proxy_authorization": req.header("Proxy-Authorization"),
        "x_proxy": req.header("X-Proxy"),
    }
    return Reply(body=json.dumps(seen).encode(), headers=[("Content-Type", "application/json")])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- explicit proxy=

async def test_http_target_through_proxy(open_proxy: ProxyProcess) -> None:
    async with HTTPServer(echo) as target, ketch.ClientSession() as s:
        async with s.get(target.url + "/path?q=1", proxy=open_proxy.url) as r:
            assert r.status == 200
            seen = await r.json()
    assert seen["target"] == "/path?q=1"
    assert seen["via"] is not None and open_proxy.name in seen["via"]


async def test_https_target_through_connect_tunnel(
    auth_proxy: ProxyProcess, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(echo, ssl=server_ctx) as target, ketch.ClientSession() as s:
        # The proxy is on the path: without credentials it refuses the tunnel.
        with pytest.raises(ketch.ClientHttpProxyError) as err:
            await s.get(target.url + "/secure", proxy=auth_proxy.url, ssl=client_ctx)
        assert err.value.status == 407
        assert target.requests == []
        async with s.get(
            target.url + "/secure", proxy=auth_proxy.url, proxy_auth=GOOD, ssl=client_ctx
        ) as r:
            assert r.status == 200
            seen = await r.json()
    # Inside a tunnel the proxy sees only ciphertext: no Via, no proxy credentials.
    assert seen == {"target": "/secure", "via": None, "authorization": None,
                    "proxy_authorization": None, "x_proxy": None}


async def test_proxy_authentication_for_http_targets(auth_proxy: ProxyProcess) -> None:
    async with HTTPServer(echo) as target, ketch.ClientSession() as s:
        # For a plain http target the proxy answers the request itself: a 407 response.
        async with s.get(target.url + "/a", proxy=auth_proxy.url) as r:
            assert r.status == 407
        async with s.get(target.url + "/a", proxy=auth_proxy.url, proxy_auth=BAD) as r:
            # tinyproxy answers wrong credentials with 401 (proxy.py: 407): the proxy's status.
            assert r.status == (401 if auth_proxy.name == "tinyproxy" else 407)
        assert target.requests == []
        async with s.get(target.url + "/a", proxy=auth_proxy.url, proxy_auth=GOOD) as r:
            assert r.status == 200
            seen = await r.json()
        assert auth_proxy.name in seen["via"]
        # The proxy consumed its credentials: they never reach the target.
        assert seen["proxy_authorization"] is None
        async with s.get(target.url + "/b", proxy=auth_proxy.url_with_credentials) as r:
            assert r.status == 200


async def test_credentials_in_proxy_url_for_https_targets(
    auth_proxy: ProxyProcess, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(echo, ssl=server_ctx) as target, ketch.ClientSession() as s:
        async with s.get(
            target.url + "/", proxy=auth_proxy.url_with_credentials, ssl=client_ctx
        ) as r:
            assert r.status == 200
        with pytest.raises(ValueError, match="given twice"):
            await s.get(target.url + "/", proxy=auth_proxy.url_with_credentials,
                        proxy_auth=GOOD, ssl=client_ctx)


async def test_https_proxy_tls_in_tls(
    proxy_py_tls: ProxyProcess, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(echo, ssl=server_ctx) as secure, HTTPServer(echo) as plain:
        async with ketch.ClientSession() as s:
            # https target: TLS to the proxy, CONNECT, TLS to the target inside it.
            async with s.get(secure.url + "/x", proxy=proxy_py_tls.url, ssl=client_ctx) as r:
                assert r.status == 200
                assert (await r.json())["target"] == "/x"
            # http target: absolute form over the TLS connection to the proxy.
            async with s.get(plain.url + "/y", proxy=proxy_py_tls.url, ssl=client_ctx) as r:
                assert r.status == 200
                seen = await r.json()
            assert seen["target"] == "/y" and "proxy.py" in seen["via"]


async def test_https_proxy_certificate_is_verified(
    proxy_py_tls: ProxyProcess, server_ctx: ssl.SSLContext
) -> None:
    # ssl= applies to the proxy too: the default context does not know the test CA.
    async with HTTPServer(echo) as plain, ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientConnectorCertificateError):
            await s.get(plain.url + "/", proxy=proxy_py_tls.url)
        assert plain.requests == []


async def test_session_default_overridden_per_request(proxy_py_auth: ProxyProcess) -> None:
    async with HTTPServer(echo) as target, RecordingProxy() as other:
        async with ketch.ClientSession(
            proxy=proxy_py_auth.url, proxy_auth=GOOD, proxy_headers={"X-Proxy": "session"}
        ) as s:
            async with s.get(target.url + "/d") as r:
                assert r.status == 200
                seen = await r.json()
            assert "proxy.py" in seen["via"]
            async with s.get(target.url + "/d", proxy_auth=BAD) as r:
                assert r.status == 407
            async with s.get(target.url + "/o", proxy=other.url,
                             proxy_headers={"X-Proxy": "request"}) as r:
                assert r.status == 200
                assert await r.read() == b"from-proxy"
    (req,) = other.requests
    assert req.target == target.url + "/o"
    # The session's proxy_auth goes with a request's proxy that has no credentials of its own
    # (aiohttp does the same); the request's proxy_headers replace the session's by name.
    assert req.header("Proxy-Authorization") == GOOD.encode()
    assert req.header("X-Proxy") == "request"


async def test_what_the_proxy_receives(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with RecordingProxy() as proxy, HTTPServer(echo, ssl=server_ctx) as secure:
        async with ketch.ClientSession() as s:
            async with s.get("http://127.0.0.1:9/plain?a=b#frag", proxy=proxy.url,
                             proxy_auth=GOOD, proxy_headers={"X-Proxy": "1"}) as r:
                assert await r.read() == b"from-proxy"
            async with s.get(secure.url + "/t", proxy=proxy.url, proxy_auth=GOOD,
                             proxy_headers=[("X-Proxy", "2")], ssl=client_ctx) as r:
                seen = await r.json()
    plain, connect = proxy.requests
    # RFC 9112 §3.2.2: absolute form to a forward proxy (no fragment); credentials and
    # proxy headers ride on the request itself.
    assert plain.method == "GET" and plain.target == "http://127.0.0.1:9/plain?a=b"
    assert plain.header("Proxy-Authorization") == GOOD.encode()
    assert plain.header("X-Proxy") == "1"
    # RFC 9110 §9.3.6: CONNECT host:port, credentials and headers on the CONNECT only.
    assert connect.method == "CONNECT" and connect.target == f"127.0.0.1:{secure.port}"
    assert connect.header("Proxy-Authorization") == GOOD.encode()
    assert connect.header("X-Proxy") == "2"
    assert seen["proxy_authorization"] is None and seen["x_proxy"] is None


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("status", [403, 407, 502])
async def test_refused_connect_is_client_http_proxy_error(
    status: int, client_ctx: ssl.SSLContext
) -> None:
    async with RecordingProxy(connect_status=status) as proxy, ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientHttpProxyError) as err:
            await s.get("https://127.0.0.1:9/", proxy=proxy.url, ssl=client_ctx)
    assert err.value.status == status
    assert isinstance(err.value, ketch.ClientResponseError)
    # Reported once, never retried: the proxy saw exactly one CONNECT.
    assert [r.method for r in proxy.requests] == ["CONNECT"]


async def test_407_for_plain_http_is_returned_not_retried() -> None:
    async with RecordingProxy(plain_status=407) as proxy, ketch.ClientSession() as s:
        async with s.get("http://127.0.0.1:9/", proxy=proxy.url, proxy_auth=BAD) as r:
            assert r.status == 407
    assert len(proxy.requests) == 1


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_unreachable_proxy(scheme: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientProxyConnectionError) as err:
            await s.get(f"{scheme}://127.0.0.1:9/", proxy=dead)
    assert err.value.port == int(dead.rsplit(":", 1)[1])


@pytest.mark.parametrize("scheme", ["socks4", "socks5", "socks5h"])
async def test_socks_proxy_is_a_clear_error(scheme: str) -> None:
    async with HTTPServer(echo) as target, ketch.ClientSession() as s:
        with pytest.raises(ketch.InvalidURL, match="not supported yet"):
            await s.get(target.url, proxy=f"{scheme}://127.0.0.1:1080")
        assert target.requests == []


# --------------------------------------------------------------------------- trust_env

async def test_environment_proxies(
    env: pytest.MonkeyPatch, proxy_py: ProxyProcess, proxy_py_auth: ProxyProcess,
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    env.setenv("http_proxy", proxy_py.url)
    env.setenv("HTTPS_PROXY", proxy_py_auth.url_with_credentials)
    async with HTTPServer(echo) as plain, HTTPServer(echo, ssl=server_ctx) as secure:
        async with ketch.ClientSession(trust_env=True) as s:
            async with s.get(plain.url + "/e") as r:
                assert "proxy.py" in (await r.json())["via"]
            async with s.get(secure.url + "/e", ssl=client_ctx) as r:
                assert r.status == 200
        async with ketch.ClientSession() as s:  # without trust_env the environment is ignored
            async with s.get(plain.url + "/direct") as r:
                assert (await r.json())["via"] is None


async def test_environment_proxy_without_credentials_is_refused(
    env: pytest.MonkeyPatch, proxy_py_auth: ProxyProcess,
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    env.setenv("HTTPS_PROXY", proxy_py_auth.url)
    async with HTTPServer(echo, ssl=server_ctx) as secure:
        async with ketch.ClientSession(trust_env=True) as s:
            with pytest.raises(ketch.ClientHttpProxyError) as err:
                await s.get(secure.url, ssl=client_ctx)
    assert err.value.status == 407


@pytest.mark.parametrize(
    ("no_proxy", "host", "bypass"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.0/8", "127.0.0.1", True),
        ("127.0.0.1:{port}", "127.0.0.1", True),
        ("127.0.0.1:{other}", "127.0.0.1", False),
        ("localhost", "localhost", True),
        (".localhost", "localhost", True),
        ("10.0.0.0/8, example.com", "127.0.0.1", False),
        ("*", "127.0.0.1", True),
    ],
)
async def test_no_proxy_end_to_end(
    env: pytest.MonkeyPatch, proxy_py: ProxyProcess, no_proxy: str, host: str, bypass: bool
) -> None:
    env.setenv("HTTP_PROXY", proxy_py.url)
    async with HTTPServer(echo) as target:
        env.setenv("NO_PROXY", no_proxy.format(port=target.port, other=target.port + 1))
        async with ketch.ClientSession(trust_env=True) as s:
            async with s.get(f"http://{host}:{target.port}/n") as r:
                via = (await r.json())["via"]
    assert (via is None) is bypass


async def test_netrc_credentials_for_the_proxy(
    env: pytest.MonkeyPatch, tmp_path: Path, proxy_py_auth: ProxyProcess,
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    # The proxy is named "localhost" so its .netrc entry is not the target's (127.0.0.1).
    env.setenv("HTTPS_PROXY", f"http://localhost:{proxy_py_auth.port}")
    (tmp_path / ".netrc").write_text(f"machine localhost login {USER} password {PASSWORD}\n")
    async with HTTPServer(echo, ssl=server_ctx) as secure:
        async with ketch.ClientSession(trust_env=True) as s:
            async with s.get(secure.url + "/n", ssl=client_ctx) as r:
                assert r.status == 200
                assert (await r.json())["authorization"] is None


async def test_netrc_credentials_for_the_target(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "custom-netrc"
    netrc.write_text("machine 127.0.0.1 login alice password wonder\n")
    env.setenv("NETRC", str(netrc))
    async with HTTPServer(echo) as target:
        async with ketch.ClientSession(trust_env=True) as s:
            async with s.get(target.url + "/t") as r:
                assert (await r.json())["authorization"] == basic("alice", "wonder")
            # The request's own credentials win over .netrc.
            async with s.get(target.url + "/t", auth=ketch.BasicAuth("bob", "b")) as r:
                assert (await r.json())["authorization"] == basic("bob", "b")
            async with s.get(target.url + "/t", headers={"Authorization": "Bearer x"}) as r:
                assert (await r.json())["authorization"] == "Bearer x"
        async with ketch.ClientSession() as s:
            async with s.get(target.url + "/t") as r:
                assert (await r.json())["authorization"] is None


# --------------------------------------------------------------------------- redirects

async def test_redirect_to_a_no_proxy_host_goes_direct(
    env: pytest.MonkeyPatch, proxy_py: ProxyProcess
) -> None:
    async with HTTPServer(echo) as direct:
        async def start(req: Request, writer: object) -> Reply:
            if req.target == "/start":
                where = f"http://localhost:{direct.port}/end"
                return Reply(302, headers=[("Location", where)], reason="Found")
            return await echo(req, writer)

        async with HTTPServer(start) as first:
            env.setenv("HTTP_PROXY", proxy_py.url)
            env.setenv("NO_PROXY", "localhost")
            async with ketch.ClientSession(trust_env=True) as s:
                async with s.get(first.url + "/start") as r:
                    assert r.status == 200
                    seen = await r.json()
                    assert str(r.url) == f"http://localhost:{direct.port}/end"
                    assert len(r.history) == 1
    assert "proxy.py" in (first.requests[0].header("Via") or "")
    assert seen["via"] is None and seen["proxy_authorization"] is None


async def test_redirect_never_reuses_proxy_credentials_for_another_proxy(
    env: pytest.MonkeyPatch, proxy_py_auth: ProxyProcess,
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
) -> None:
    async with HTTPServer(echo, ssl=server_ctx) as secure, RecordingProxy() as second_proxy:
        async def hop(req: Request, writer: object) -> Reply:
            return Reply(307, headers=[("Location", secure.url + "/end")], reason="Moved")

        async with HTTPServer(hop) as first:
            env.setenv("HTTP_PROXY", proxy_py_auth.url_with_credentials)
            env.setenv("HTTPS_PROXY", second_proxy.url)
            async with ketch.ClientSession(trust_env=True) as s:
                async with s.get(first.url + "/start", ssl=client_ctx) as r:
                    assert r.status == 200
                    seen = await r.json()
    assert first.requests[0].header("Via") is not None  # hop 1 went through the auth proxy
    (connect,) = second_proxy.requests
    assert connect.method == "CONNECT"
    assert connect.header("Proxy-Authorization") is None
    assert seen["proxy_authorization"] is None


async def test_redirect_with_explicit_proxy_keeps_it(proxy_py_auth: ProxyProcess) -> None:
    async with HTTPServer(echo) as end:
        async def hop(req: Request, writer: object) -> Reply:
            return Reply(302, headers=[("Location", end.url + "/end")], reason="Found")

        async with HTTPServer(hop) as first, ketch.ClientSession() as s:
            async with s.get(first.url + "/s", proxy=proxy_py_auth.url, proxy_auth=GOOD) as r:
                assert r.status == 200
                assert "proxy.py" in (await r.json())["via"]
        assert "proxy.py" in (first.requests[0].header("Via") or "")


# --------------------------------------------------------------------------- IPv6 loopback

async def test_ipv6_target_through_tunnel_and_no_proxy(
    env: pytest.MonkeyPatch, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with RecordingProxy() as proxy, HTTPServer(echo, host="::1", ssl=server_ctx) as v6s:
        async with ketch.ClientSession() as s:
            async with s.get(f"https://[::1]:{v6s.port}/six", proxy=proxy.url,
                             ssl=client_ctx) as r:
                assert (await r.json())["target"] == "/six"
        (connect,) = proxy.requests
        # RFC 9110 §9.3.6 / RFC 3986 §3.2.2: an IPv6 authority keeps its brackets.
        assert connect.target == f"[::1]:{v6s.port}"
        async with HTTPServer(echo, host="::1") as v6:
            env.setenv("HTTP_PROXY", proxy.url)
            env.setenv("NO_PROXY", "::1")
            async with ketch.ClientSession(trust_env=True) as s:
                async with s.get(f"http://[::1]:{v6.port}/direct") as r:
                    assert (await r.json())["target"] == "/direct"
                async with s.get(f"http://127.0.0.1:{v6.port}/proxied") as r:
                    assert await r.read() == b"from-proxy"
        assert proxy.requests[-1].target == f"http://127.0.0.1:{v6.port}/proxied"


async def test_netrc_credentials_are_looked_up_per_hop(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login alice password wonder\n")
    async with HTTPServer(echo) as end:
        async def hop(req: Request, writer: object) -> Reply:
            return Reply(302, headers=[("Location", f"http://localhost:{end.port}/end")],
                         reason="Found")

        async with HTTPServer(hop) as first, ketch.ClientSession(trust_env=True) as s:
            async with s.get(first.url + "/start") as r:
                seen = await r.json()
    assert first.requests[0].header("Authorization") == basic("alice", "wonder")
    # localhost has no entry: 127.0.0.1's credentials stay behind.
    assert seen["authorization"] is None
