"""Request building and sending: bodies and their framing, Expect: 100-continue, Host,
ClientRequest as middlewares see it, and the request-side trace signals."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

import ketch
import ketch_http1
from tests.servers import HTTPServer, Reply, Request, read_request


async def ok(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return Reply(body=b"ok")


@pytest.mark.parametrize(
    ("kwargs", "body", "ctype"),
    [
        ({"data": b"\x00raw"}, b"\x00raw", "application/octet-stream"),
        ({"data": bytearray(b"ba")}, b"ba", "application/octet-stream"),
        ({"data": "Привет, Мир!"}, "Привет, Мир!".encode(), "text/plain; charset=utf-8"),
        ({"json": {"example": "text"}}, b'{"example": "text"}', "application/json"),
        ({"data": {"a": "1", "b": "x y"}}, b"a=1&b=x+y", "application/x-www-form-urlencoded"),
        ({"data": io.BytesIO(b"file bytes")}, b"file bytes", "application/octet-stream"),
    ],
)
async def test_bodies_with_content_length(kwargs: dict[str, Any], body: bytes, ctype: str) -> None:
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.post(server.url, **kwargs)).read()
    req = server.requests[0]
    assert req.body == body
    assert req.header("Content-Type") == ctype
    assert req.header("Content-Length") == str(len(body))
    assert req.header("Transfer-Encoding") is None


async def test_user_content_type_wins() -> None:
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.post(server.url, data=b"GIF89a", headers={"content-type": "image/gif"})).read()
    assert server.requests[0].header("Content-Type") == "image/gif"


async def test_json_serialize_is_used() -> None:
    async with HTTPServer(ok) as server:
        async with ketch.ClientSession(json_serialize=lambda v: json.dumps(v, separators=(",", ":"))) as s:
            await (await s.post(server.url, json={"a": [1, 2]})).read()
    assert server.requests[0].body == b'{"a":[1,2]}'


async def test_async_generator_body_is_chunked_and_traced_per_chunk() -> None:
    async def gen() -> AsyncIterator[bytes]:
        for part in (b"one", b"two", b"three"):
            yield part

    chunks: list[bytes] = []

    async def on_chunk(session: Any, ctx: Any, params: Any) -> None:
        chunks.append(params.chunk)

    tc = ketch.TraceConfig()
    tc.on_request_chunk_sent.append(on_chunk)
    async with HTTPServer(ok) as server, ketch.ClientSession(trace_configs=[tc]) as s:
        await (await s.post(server.url, data=gen())).read()
    req = server.requests[0]
    assert req.header("Transfer-Encoding") == "chunked"
    assert req.header("Content-Length") is None
    assert req.body == b"onetwothree"
    assert chunks == [b"one", b"two", b"three"]


async def test_chunked_true_with_bytes_and_conflict_with_content_length() -> None:
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.post(server.url, data=b"abc", chunked=True)).read()
        with pytest.raises(ValueError, match="chunked"):
            await s.post(server.url, data=b"abc", chunked=True, headers={"Content-Length": "3"})
    req = server.requests[0]
    assert req.header("Transfer-Encoding") == "chunked"
    assert req.body == b"abc"
    assert len(server.requests) == 1


@pytest.mark.parametrize(("compress", "encoding", "wbits"),
                         [(True, "deflate", zlib.MAX_WBITS), ("gzip", "gzip", 16 + zlib.MAX_WBITS)])
async def test_compress(compress: Any, encoding: str, wbits: int) -> None:
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.post(server.url, data=b"x" * 10000, compress=compress)).read()
        with pytest.raises(ValueError, match="Content-Encoding"):
            await s.post(server.url, data=b"x", compress=True, headers={"Content-Encoding": "br"})
        with pytest.raises(ValueError, match="compress"):
            await s.post(server.url, data=b"x", compress="lzma")
    req = server.requests[0]
    assert req.header("Content-Encoding") == encoding
    assert zlib.decompress(req.body, wbits) == b"x" * 10000


async def test_pre_compressed_upload_is_sent_as_is() -> None:
    data = zlib.compress(b"my data")
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.post(server.url, data=data, headers={"Content-Encoding": "deflate"})).read()
    assert server.requests[0].body == data
    assert server.requests[0].header("Content-Encoding") == "deflate"


async def test_large_body_streams_in_pieces() -> None:
    big = bytes(range(256)) * 8192  # 2 MiB
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        await (await s.put(server.url, data=big)).read()
    assert server.requests[0].body == big


async def expect_server(answer_continue: bool) -> tuple[asyncio.Server, list[bytes], asyncio.Event]:
    received: list[bytes] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        received.append(head)
        assert b"expect: 100-continue" in head.lower()
        if answer_continue:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            received.append(await reader.readexactly(5))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        else:
            writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
            # Anything the client sends now would be a body it must not send.
            try:
                received.append(await asyncio.wait_for(reader.read(100), 0.2))
            except asyncio.TimeoutError:
                received.append(b"<nothing>")
        await writer.drain()
        writer.close()
        done.set()

    return await asyncio.start_server(serve, "127.0.0.1", 0), received, done


@pytest.mark.parametrize("answer_continue", [True, False])
async def test_expect_100_continue(answer_continue: bool) -> None:
    server, received, done = await expect_server(answer_continue)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ketch.ClientSession() as s:
            resp = await s.post(f"http://127.0.0.1:{port}/", data=b"hello", expect100=True)
            body = await resp.read()
            await asyncio.wait_for(done.wait(), 5)
    finally:
        server.close()
        await server.wait_closed()
    if answer_continue:
        assert resp.status == 200 and body == b"ok"
        assert received[1] == b"hello"
    else:
        assert resp.status == 417
        assert received[1] in (b"<nothing>", b"")


async def test_host_header_forms() -> None:
    async with HTTPServer(ok, host="::1") as server, ketch.ClientSession() as s:
        await (await s.get(server.url)).read()
        await (await s.get(server.url, headers={"Host": "virtual.example"})).read()
    assert server.requests[0].header("Host") == f"[::1]:{server.port}"
    assert server.requests[1].header("Host") == "virtual.example"


async def test_middleware_sees_the_complete_request() -> None:
    seen: dict[str, Any] = {}

    async def mw(req: ketch.ClientRequest, handler: ketch.ClientHandlerType) -> ketch.ClientResponse:
        seen["method"] = req.method
        seen["url"] = req.url
        seen["headers"] = dict(req.headers)
        seen["body_size"] = req.body.size if req.body is not None else None
        seen["is_ssl"] = req.is_ssl()
        seen["info"] = req.request_info.method
        req.headers["X-Added"] = "by-mw"
        await req.update_body(b"replaced body")
        return await handler(req)

    async with HTTPServer(ok) as server, ketch.ClientSession(middlewares=[mw]) as s:
        await (await s.post(server.url + "/m?q=1", data=b"orig")).read()
    assert seen["method"] == "POST"
    assert seen["url"] == URL(server.url + "/m?q=1")
    assert seen["headers"]["Host"] == f"127.0.0.1:{server.port}"
    assert seen["headers"]["Content-Length"] == "4"
    assert seen["body_size"] == 4
    assert seen["is_ssl"] is False
    assert seen["info"] == "POST"
    req = server.requests[0]
    assert req.header("X-Added") == "by-mw"
    assert req.body == b"replaced body"
    assert req.header("Content-Length") == "13"


async def test_request_trace_signals_in_order() -> None:
    events: list[str] = []
    ctxs: list[Any] = []

    def record(name: str) -> Any:
        async def cb(session: Any, ctx: Any, params: Any) -> None:
            events.append(name)
            ctxs.append(ctx.trace_request_ctx)
        return cb

    tc = ketch.TraceConfig()
    for name in ("request_start", "connection_create_start", "connection_create_end",
                 "connection_reuseconn", "request_headers_sent", "request_chunk_sent",
                 "request_end", "request_exception"):
        getattr(tc, f"on_{name}").append(record(name))
    async with HTTPServer(ok) as server, ketch.ClientSession(trace_configs=[tc]) as s:
        await (await s.post(server.url, data=b"x", trace_request_ctx={"id": 7})).read()
        await (await s.get(server.url)).read()
        with pytest.raises(ValueError):
            await s.get(server.url, headers={"X": "a\nb"})
    assert events == [
        "request_start", "connection_create_start", "connection_create_end",
        "request_headers_sent", "request_chunk_sent", "request_end",
        "request_start", "connection_reuseconn", "request_headers_sent", "request_end",
        "request_start", "request_exception",
    ]
    assert ctxs[0] == {"id": 7}


async def _fault_server(mode: str) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if mode == "garbage":
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
        elif mode == "close":
            pass
        else:  # reset: RST instead of FIN
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("mode", "data", "exc", "cause"),
    [
        # As aiohttp: an upload that fails on an OS error is ClientOSError from it.
        ("reset", "stream", ketch.ClientOSError, ConnectionResetError),
        # A clean close before the head: nothing failed below, so no cause.
        ("close", None, ketch.ServerDisconnectedError, None),
        ("reset", None, ketch.ClientOSError, ConnectionResetError),
        ("garbage", None, ketch.ClientResponseError, ketch_http1.RemoteProtocolError),
    ],
)
async def test_faults_raise_documented_errors_and_free_the_slot(
    mode: str, data: str | None, exc: type[Exception], cause: type[Exception] | None
) -> None:
    server = await _fault_server(mode)
    port = server.sockets[0].getsockname()[1]

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(2000):
            yield b"z" * 65536

    try:
        async with HTTPServer(ok) as good, ketch.ClientSession(
            connector=ketch.TCPConnector(limit=1)
        ) as s:
            with pytest.raises(exc) as info:
                await s.post(f"http://127.0.0.1:{port}/",
                             data=endless() if data == "stream" else b"small")
            assert type(info.value) is exc
            if cause is None:
                assert info.value.__cause__ is None
            else:
                assert isinstance(info.value.__cause__, cause)
            if isinstance(info.value, ketch.ClientOSError):
                assert info.value.errno == info.value.__cause__.errno  # type: ignore[union-attr]
            # The failed connection gave its only slot back: this would otherwise wait
            # for the slot and fail with PoolTimeoutError.
            resp = await s.get(good.url, timeout=ketch.ClientTimeout(connect=2))
            assert await resp.read() == b"ok"
    finally:
        server.close()
        await server.wait_closed()


async def test_unparsed_request_reaches_a_real_reader() -> None:
    """The bytes on the wire parse as one well-formed request (head + body, nothing more)."""
    got: list[Request | None] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        got.append(await read_request(reader))
        writer.close()
        done.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ketch.ClientSession() as s:
            await (await s.patch(f"http://127.0.0.1:{port}/x", data=b"12345")).read()
        await asyncio.wait_for(done.wait(), 5)
    finally:
        server.close()
        await server.wait_closed()
    assert got[0] is not None and got[0].body == b"12345" and got[0].method == "PATCH"
    assert got[1] is None  # nothing after the body


async def test_read_until_eof_false_takes_an_unframed_body_as_empty() -> None:
    async def unframed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(unframed, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ketch.ClientSession() as s:
            resp = await s.get(f"http://127.0.0.1:{port}/", read_until_eof=False)
            assert await resp.read() == b""
            resp = await s.get(f"http://127.0.0.1:{port}/")
            assert await resp.read() == b"until close"
    finally:
        server.close()
        await server.wait_closed()


async def test_file_body_is_closed_after_the_request(tmp_path: Any) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"file content")
    async with HTTPServer(ok) as server, ketch.ClientSession() as s:
        with path.open("rb") as f:
            await (await s.post(server.url, data=f)).read()
            assert f.closed
    assert server.requests[0].body == b"file content"


async def test_expect_100_refused_connection_is_not_reused() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        if req.header("Expect"):
            writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            return None
        return Reply(body=b"ok")

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        # The loopback server reads the body only when it has a Content-Length; our
        # request is refused before the body is sent, so the server sees an empty one.
        resp = await s.post(server.url, data=b"", expect100=True)
        assert resp.status == 417
        await resp.read()
        assert await (await s.get(server.url)).read() == b"ok"
    assert server.connections == 2


@pytest.fixture(scope="module")
def tls() -> tuple[Any, Any]:
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


async def test_ssl_settings_per_request(tls: tuple[Any, Any]) -> None:
    server_ctx, client_ctx = tls
    async with HTTPServer(ok, ssl=server_ctx) as server, ketch.ClientSession() as s:
        assert server.url.startswith("https://")
        with pytest.raises(ketch.ClientConnectorCertificateError):
            await s.get(server.url)  # the system trust store does not know our CA
        assert await (await s.get(server.url, ssl=client_ctx)).read() == b"ok"
        assert await (await s.get(server.url, ssl=False)).read() == b"ok"
        # The name checked (and sent as SNI) can differ from the host connected to.
        with pytest.raises(ketch.ClientConnectorCertificateError):
            await s.get(server.url, ssl=client_ctx, server_hostname="other.example")
        url = f"https://127.0.0.1:{server.port}/"
        resp = await s.get(url, ssl=client_ctx, server_hostname="localhost")
        assert await resp.read() == b"ok"
    assert server.requests[0].header("Host") == f"127.0.0.1:{server.port}"


async def test_request_and_response_classes() -> None:
    class MyRequest(ketch.ClientRequest):
        pass

    class MyResponse(ketch.ClientResponse):
        async def shout(self) -> str:
            return (await self.text()).upper()

    seen: list[type] = []

    async def mw(req: ketch.ClientRequest, handler: ketch.ClientHandlerType) -> ketch.ClientResponse:
        seen.append(type(req))
        return await handler(req)

    async with HTTPServer(ok) as server, ketch.ClientSession(
        request_class=MyRequest, response_class=MyResponse, middlewares=[mw]
    ) as s:
        resp = await s.get(server.url)
        assert isinstance(resp, MyResponse)
        assert await resp.shout() == "OK"
    assert seen == [MyRequest]


async def test_cached_header_block_gives_the_same_bytes_and_still_checks_the_line() -> None:
    async def capture(req: ketch.ClientRequest, handler: ketch.ClientHandlerType) -> ketch.ClientResponse:
        heads.append(req.serialize_head())
        return await handler(req)

    heads: list[bytes] = []
    async with HTTPServer(ok) as server, ketch.ClientSession(middlewares=[capture]) as s:
        for target in ("/a", "/b?x=1", "/a"):
            await (await s.get(server.url + target)).read()
        # Same header block as before (a cache hit), but a target with a space: refused.
        with pytest.raises(ValueError, match="target"):
            await s.get(URL(server.url + "/a b", encoded=True))
    assert len(heads) == 3
    for head, seen in zip(heads, server.requests):
        line, _, rest = head.partition(b"\r\n")
        assert line == f"GET {seen.target} HTTP/1.1".encode()
        assert rest.startswith(b"Host: ")
    assert heads[0] == heads[2]
    assert len(server.requests) == 3
