"""Connections through HTTP proxies: proxy.py on loopback, and an in-test proxy for exact cases."""

from __future__ import annotations

import asyncio
import base64
import ssl

import pytest
import trustme

import ketch_http1 as h1
from ketch_connector import (
    ClientHttpProxyError,
    ClientProxyConnectionError,
    ClientResponseError,
    Connection,
    ConnectionKey,
    TCPConnector,
)

from ..proxy_servers import ProxyPy
from ..servers import HTTPServer, Reply, Request

from .helpers import CountingServer


async def hello(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return Reply(body=f"hello {req.method} {req.target}".encode())


async def exchange(conn: Connection, target: str, host: str) -> h1.Response:
    """One HTTP/1.1 GET over *conn* with ketch_http1; returns the head, checks the body."""
    conn.write(h1.serialize_head("GET", target, [("Host", host)]))
    parser = h1.ResponseParser()
    parser.start_response("GET")
    head: h1.Response | None = None
    body = b""
    for _ in range(100):
        data = await conn.read()
        events = parser.feed(data) if data else parser.feed_eof()
        for event in events:
            if isinstance(event, h1.Response):
                head = event
            elif isinstance(event, h1.Data):
                body += event.data
            elif isinstance(event, h1.EndOfMessage):
                assert head is not None
                assert body == b"hello GET /path", body
                return head
    raise AssertionError("no complete response")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_http_target_goes_over_the_proxy_connection(proxy: ProxyPy) -> None:
    async with HTTPServer(hello) as origin, TCPConnector() as conn:
        key = ConnectionKey("127.0.0.1", origin.port, proxy=proxy.url)
        c = await conn.connect(key)
        assert c.transport is not None
        assert c.transport.get_extra_info("peername")[1] == proxy.port
        head = await exchange(c, f"{origin.url}/path", f"127.0.0.1:{origin.port}")
        assert head.status == 200
        c.close()


async def test_https_target_through_connect_tunnel(
    proxy: ProxyPy, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(hello, ssl=server_ctx) as origin, TCPConnector() as conn:
        key = ConnectionKey("127.0.0.1", origin.port, True, client_ctx, proxy=proxy.url)
        c = await conn.connect(key)
        assert c.transport is not None
        assert c.transport.get_extra_info("ssl_object").server_hostname == "127.0.0.1"
        head = await exchange(c, "/path", f"127.0.0.1:{origin.port}")
        assert head.status == 200
        c.release()
        # The tunnel is pooled under its key and reused.
        c2 = await conn.connect(key)
        await exchange(c2, "/path", f"127.0.0.1:{origin.port}")
        c2.release()
        assert origin.connections == 1


async def test_proxy_authentication(
    auth_proxy: ProxyPy, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(hello, ssl=server_ctx) as origin, TCPConnector() as conn:
        without = ConnectionKey("127.0.0.1", origin.port, True, client_ctx, proxy=auth_proxy.url)
        with pytest.raises(ClientHttpProxyError) as info:
            await conn.connect(without)
        err = info.value
        assert isinstance(err, ClientResponseError)
        assert err.status == 407
        assert err.request_info.method == "CONNECT"
        assert str(err.request_info.real_url) == auth_proxy.url
        assert conn._open == 0
        wrong = ConnectionKey(
            "127.0.0.1", origin.port, True, client_ctx, proxy=auth_proxy.url,
            proxy_auth=basic("user", "nope"),
        )
        with pytest.raises(ClientHttpProxyError) as info:
            await conn.connect(wrong)
        assert info.value.status == 407
        assert info.value.request_info.headers["Proxy-Authorization"] == "<hidden>"
        right = ConnectionKey(
            "127.0.0.1", origin.port, True, client_ctx, proxy=auth_proxy.url,
            proxy_auth=basic("user", "pass"),
        )
        c = await conn.connect(right)
        assert (await exchange(c, "/path", "127.0.0.1")).status == 200
        c.close()


async def test_tls_in_tls_through_an_https_proxy(
    tls_proxy: ProxyPy, server_ctx: ssl.SSLContext, ca: trustme.CA
) -> None:
    # One context verifies both the proxy and the origin (as aiohttp documents).
    ctx = ssl.create_default_context(cafile=tls_proxy.ca_file)  # type: ignore[attr-defined]
    ca.configure_trust(ctx)
    async with HTTPServer(hello, ssl=server_ctx) as origin, TCPConnector() as conn:
        key = ConnectionKey("127.0.0.1", origin.port, True, ctx, proxy=tls_proxy.url)
        c = await conn.connect(key)
        head = await exchange(c, "/path", "127.0.0.1")
        assert head.status == 200
        c.close()
        # A plain http:// target over the TLS connection to the proxy.
        async with HTTPServer(hello) as plain:
            c = await conn.connect(ConnectionKey("127.0.0.1", plain.port, ssl=ctx, proxy=tls_proxy.url))
            assert (await exchange(c, f"{plain.url}/path", "127.0.0.1")).status == 200
            c.close()


async def test_unreachable_proxy_is_proxy_connection_error() -> None:
    async with CountingServer() as gone:
        port = gone.port
    async with TCPConnector() as conn:
        key = ConnectionKey("example.test", 443, True, proxy=f"http://127.0.0.1:{port}")
        with pytest.raises(ClientProxyConnectionError) as info:
            await conn.connect(key)
        assert (info.value.host, info.value.port) == ("127.0.0.1", port)
        assert conn._open == 0


class ScriptedProxy:
    """A one-shot CONNECT proxy in the test: records the request head, sends *answer*,
    then (for a 2xx) relays bytes to the origin at *origin_port*."""

    def __init__(self, answer: bytes, origin_port: int = 0) -> None:
        self.answer = answer
        self.origin_port = origin_port
        self.heads: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(self.answer)
        if not self.answer.startswith(b"HTTP/1.1 2") or not self.origin_port:
            await writer.drain()
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.origin_port)

        async def pump(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
            w.close()

        try:
            await asyncio.gather(pump(reader, up_w), pump(up_r, writer))
        finally:
            up_w.close()


async def test_connect_request_head_and_any_2xx(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async with HTTPServer(hello, ssl=server_ctx) as origin:
        script = ScriptedProxy(b"HTTP/1.1 201 Tunnel Ready\r\n\r\n", origin.port)
        async with CountingServer(script) as fake, TCPConnector() as conn:
            key = ConnectionKey(
                "127.0.0.1", origin.port, True, client_ctx, proxy=f"http://127.0.0.1:{fake.port}",
                proxy_auth="Basic abc", proxy_headers=(("X-Trace", "t1"), ("X-Trace", "t2")),
            )
            c = await conn.connect(key)
            assert (await exchange(c, "/path", "127.0.0.1")).status == 200
            c.close()
        head = script.heads[0].decode()
        lines = head.split("\r\n")
        assert lines[0] == f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1"
        assert f"Host: 127.0.0.1:{origin.port}" in lines
        assert "Proxy-Authorization: Basic abc" in lines
        assert [ln for ln in lines if ln.startswith("X-Trace")] == ["X-Trace: t1", "X-Trace: t2"]


@pytest.mark.parametrize(
    "answer, fragment",
    [
        (b"", "closed the connection before answering CONNECT"),
        (b"NOT HTTP\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\n\r\nstray", "sent data after its CONNECT answer"),
    ],
)
async def test_broken_proxy_answers(answer: bytes, fragment: str) -> None:
    async with CountingServer(ScriptedProxy(answer)) as fake, TCPConnector() as conn:
        key = ConnectionKey("origin.test", 443, True, proxy=f"http://127.0.0.1:{fake.port}")
        with pytest.raises(ClientProxyConnectionError, match=fragment):
            await conn.connect(key)
        assert conn._open == 0


async def test_proxy_error_status_with_body() -> None:
    answer = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\nX-Why: down\r\n\r\noops"
    async with CountingServer(ScriptedProxy(answer)) as fake, TCPConnector() as conn:
        key = ConnectionKey("origin.test", 443, True, proxy=f"http://127.0.0.1:{fake.port}")
        with pytest.raises(ClientHttpProxyError) as info:
            await conn.connect(key)
        assert (info.value.status, info.value.message) == (502, "Bad Gateway")
        assert info.value.headers["X-Why"] == "down"
        assert "502" in str(info.value)


async def test_bad_proxy_url() -> None:
    async with TCPConnector() as conn:
        with pytest.raises(ValueError, match="socks5://"):
            await conn.connect(ConnectionKey("a.test", 443, True, proxy="socks5://127.0.0.1:1"))
        assert conn._open == 0
