"""ClientResponse against real loopback servers: attributes, body reading, JSON and text
rules, pooling, decompression, chunk ends, backpressure and trace signals."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from typing import Any
from urllib.parse import quote, unquote

import brotli
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

try:
    from compression import zstd  # Python 3.14+
except ImportError:
    from backports import zstd  # what ketch-http1[zstd] installs before 3.14

import ketch
import ketch_http1
from tests.servers import HTTPServer, Reply, Request, stopped_reading, tls_contexts

JSON = [("Content-Type", "application/json")]
BIG = bytes(range(256)) * 4096 * 16  # 16 MiB


async def app(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
    path = req.target.split("?", 1)[0]
    if path == "/info":
        return Reply(status=201, reason="Created", body=b'{"ok": true}',
                     headers=[("Content-Type", "application/json; charset=utf-8"),
                              ("X-Multi", "1"), ("X-Multi", "2")])
    if path == "/http10":
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        return None
    if path == "/cookies":
        return Reply(headers=[
            ("Set-Cookie", "a=1; Path=/p; HttpOnly; Secure; Max-Age=60; Partitioned"),
            ("Set-Cookie", 'b="two words"; Domain=example.com'),
            ("Set-Cookie", "novalue"),
            ("Set-Cookie", "bad name=1"),
        ])
    if path.startswith("/links"):
        return Reply(headers=[(
            "Link",
            '</page/2>; rel="next"; title="a, b", <https://other.example/x?y=1>; rel=last',
        ), ("Link", "<../up>; type=text/html")])
    if path == "/latin1":
        return Reply(body="café".encode("latin-1"),
                     headers=[("Content-Type", "text/plain; charset=ISO-8859-1")])
    if path == "/nocharset":
        return Reply(body="привет".encode("cp1251"), headers=[("Content-Type", "text/plain")])
    if path == "/ctype":
        ctype = req.target.split("?t=", 1)[1].replace("%20", " ")
        return Reply(body=b' {"x": 1} ', headers=[("Content-Type", ctype)])
    if path == "/header":
        name, _, value = req.target.split("?", 1)[1].partition("=")
        return Reply(body=b"x", headers=[(name, unquote(value))])
    if path == "/empty-json":
        return Reply(body=b"  \r\n", headers=JSON)
    if path == "/missing":
        return Reply(status=404, reason="Not Found", body=b"nope", headers=[("X-Why", "gone")])
    if path == "/big":
        return Reply(body=BIG)
    if path == "/chunks":
        return Reply(body=b"aaaabbbbccccdddd", chunked=True)
    if path == "/lines":
        return Reply(body=b"one\ntwo\nthree", chunked=True)
    if path.startswith("/enc/"):
        coding = path[5:]
        body = b"compressed body " * 1000
        data = {
            "gzip": gzip.compress(body), "deflate": zlib.compress(body),
            "br": brotli.compress(body), "zstd": zstd.compress(body),
            "badgzip": gzip.compress(body)[:20] + b"garbage" * 10,
        }[coding]
        name = "gzip" if coding == "badgzip" else coding
        return Reply(body=data, headers=[("Content-Encoding", name)])
    return Reply(body=b"hello")


async def test_response_attributes() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/info#frag") as r:
            assert (r.status, r.reason, r.ok, r.method) == (201, "Created", True, "GET")
            assert r.url == URL(server.url + "/info")
            assert r.real_url == URL(server.url + "/info#frag")
            assert isinstance(r.headers, CIMultiDictProxy)
            assert r.headers.getall("x-multi") == ["1", "2"]
            assert r.raw_headers[0] == (b"Content-Type", b"application/json; charset=utf-8")
            assert r.version == ketch.HttpVersion11 == (1, 1)
            assert r.version.major == 1 and r.version.minor == 1
            assert r.content_type == "application/json"
            assert r.charset == "utf-8"
            assert r.content_length == 12
            assert r.history == ()
            assert r.request_info.method == "GET"
            assert r.request_info.url == r.url
            assert r.request_info.real_url == r.real_url
            assert r.request_info.headers["Host"] == f"127.0.0.1:{server.port}"
            assert r.host == "127.0.0.1"
            assert r.links == {}
            assert await r.json() == {"ok": True}
        async with s.get(server.url + "/http10") as r:
            assert r.version == ketch.HttpVersion10
            assert await r.text() == "hi"
            assert r.content_type == "application/octet-stream"
            assert r.charset is None


async def test_cookies_are_this_responses_set_cookie_headers() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/cookies") as r:
            cookies = r.cookies
    assert sorted(cookies) == ["a", "b"]  # the malformed ones are skipped
    a = cookies["a"]
    assert a.value == "1"
    assert a["path"] == "/p"
    assert a["httponly"] is True and a["secure"] is True
    assert a["max-age"] == "60"
    assert "partitioned" not in a  # unknown attributes never become cookies or keys
    assert cookies["b"]["domain"] == "example.com"


async def test_links_are_parsed_and_resolved() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/links/here") as r:
            links = r.links
    assert list(links) == ["next", "last", "../up"]
    assert links["next"]["url"] == URL(server.url + "/page/2")
    assert links["next"]["title"] == "a, b"
    assert links["next"]["rel"] == "next"
    assert links["last"]["url"] == URL("https://other.example/x?y=1")
    assert links["../up"]["url"] == URL(server.url + "/up")
    assert links["../up"]["type"] == "text/html"


async def test_text_uses_charset_explicit_encoding_or_the_fallback_resolver() -> None:
    seen: list[tuple[Any, bytes]] = []

    def resolver(resp: ketch.ClientResponse, body: bytes) -> str:
        seen.append((resp, body))
        return "cp1251"

    async with HTTPServer(app) as server:
        async with ketch.ClientSession() as s:
            async with s.get(server.url + "/latin1") as r:
                assert r.get_encoding() == "iso8859-1"
                assert await r.text() == "café"
                assert await r.text("utf-8", errors="replace") == "caf\ufffd"
            async with s.get(server.url + "/nocharset") as r:
                with pytest.raises(RuntimeError, match="not yet read"):
                    r.get_encoding()
                with pytest.raises(UnicodeDecodeError):  # the default resolver says UTF-8
                    await r.text()
                assert r.get_encoding() == "utf-8"
        async with ketch.ClientSession(fallback_charset_resolver=resolver) as s:
            async with s.get(server.url + "/nocharset") as r:
                assert await r.text() == "привет"
                assert seen == [(r, "привет".encode("cp1251"))]


@pytest.mark.parametrize("ctype", [
    "application/json", "application/json; charset=utf-8", "application/vnd.api+json",
    "APPLICATION/JSON",
])
async def test_json_accepts_json_and_plus_json_types(ctype: str) -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/ctype?t=" + ctype.replace(" ", "%20")) as r:
            assert r.get_encoding() == "utf-8"  # JSON is UTF-8 without asking the body
            assert await r.json() == {"x": 1}


async def test_json_content_type_check() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/ctype?t=text/html") as r:
            with pytest.raises(ketch.ContentTypeError) as info:
                await r.json()
            assert info.value.status == 200
            assert "unexpected mimetype: text/html" in info.value.message
            assert info.value.request_info is r.request_info
            assert await r.json(content_type=None) == {"x": 1}
        async with s.get(server.url + "/ctype?t=custom/type;%20charset=utf-8") as r:
            assert await r.json(content_type="custom/type") == {"x": 1}
        async with s.get(server.url + "/ctype?t=custom/xxx+type") as r:
            with pytest.raises(ketch.ContentTypeError):
                await r.json(content_type="custom/type")  # strict: no extended forms
        async with s.get(server.url + "/empty-json") as r:
            assert await r.json() is None
        async with s.get(server.url + "/info") as r:
            assert await r.json(loads=lambda text: ("custom", text)) == ("custom", '{"ok": true}')


async def test_raise_for_status() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/info") as r:
            r.raise_for_status()  # 201: nothing
        r = await s.get(server.url + "/missing")
        assert not r.ok
        with pytest.raises(ketch.ClientResponseError) as info:
            r.raise_for_status()
        err = info.value
        assert (err.status, err.message) == (404, "Not Found")
        assert err.headers is not None and err.headers["X-Why"] == "gone"
        assert err.request_info is r.request_info
        assert err.history == ()
        assert r.closed  # released, outside a context


async def test_connection_is_pooled_only_after_the_whole_body() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/big") as r:
            assert len(await r.read()) == len(BIG)
            assert r.closed and r.connection is None
        async with s.get(server.url + "/") as r:
            assert await r.read() == b"hello"
        assert server.connections == 1
        async with s.get(server.url + "/big") as r:
            assert len(await r.content.read(10)) == 10
            assert r.connection is not None
        # Released before the end: that connection was closed, never pooled.
        async with s.get(server.url + "/") as r:
            await r.read()
        assert server.connections == 2


async def test_reads_after_release_fail_loudly_but_a_read_body_stays() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/big") as r:
            pass
        with pytest.raises(ketch.ClientConnectionError, match="Connection closed"):
            await r.read()
        r = await s.get(server.url + "/")
        assert await r.read() == b"hello"
        r.release()
        assert await r.read() == b"hello"
        assert await r.text() == "hello"
        r.close()


async def test_readchunk_reports_the_servers_chunks() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/chunks") as r:
            chunks = [c async for c in r.content.iter_chunks()]
        async with s.get(server.url + "/") as r:  # Content-Length: never a chunk end
            plain = [c async for c in r.content.iter_chunks()]
    assert chunks == [(b"aaaa", True), (b"bbbb", True), (b"cccc", True), (b"dddd", True)]
    assert plain == [(b"hello", False)]


async def test_content_iterates_lines_and_chunks() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/lines") as r:
            assert [line async for line in r.content] == [b"one\n", b"two\n", b"three"]
            assert r.content.at_eof()
        async with s.get(server.url + "/big") as r:
            total = 0
            async for piece in r.content.iter_chunked(100_000):
                assert len(piece) <= 100_000
                total += len(piece)
            assert total == len(BIG)
        async with s.get(server.url + "/big") as r:
            assert await r.content.readexactly(5) == BIG[:5]
            rest = b"".join([p async for p in r.content.iter_any()])
            assert rest == BIG[5:]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
async def test_decompression_on_and_off(coding: str) -> None:
    async with HTTPServer(app) as server:
        async with ketch.ClientSession() as s:
            async with s.get(server.url + "/enc/" + coding) as r:
                assert await r.read() == b"compressed body " * 1000
                assert r.headers["Content-Encoding"] == coding
        async with ketch.ClientSession(auto_decompress=False) as s:
            async with s.get(server.url + "/enc/" + coding) as r:
                raw = await r.read()
        assert raw != b"compressed body " * 1000 and len(raw) < 1000


async def test_undecodable_body_is_a_payload_error() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/enc/badgzip") as r:
            # Head and bad body arrive together: the head is still delivered.
            assert r.status == 200
            with pytest.raises(ketch.ClientPayloadError, match="Cannot decode") as info:
                await r.read()
        assert isinstance(info.value.__cause__, ketch_http1.DecompressionError)
        async with s.get(server.url + "/") as r:
            assert await r.read() == b"hello"
        assert server.connections == 2  # the failure closed its connection


async def test_a_reader_that_does_not_read_pauses_the_socket() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/big") as r:
            conn = r.connection
            assert conn is not None and conn.transport is not None
            transport = conn.transport
            low, high = r.content.get_read_buffer_limits()
            assert (low, high) == (2**16, 2**17)
            assert await stopped_reading(transport)  # the client stopped reading
            buffered = r.content.total_bytes
            # One socket read (at most 256 KiB in asyncio) may land after the mark.
            assert high < buffered <= high + 256 * 1024
            await asyncio.sleep(0.1)
            assert r.content.total_bytes == buffered  # nothing more is taken in
            body = await r.read()
            assert body == BIG
        async with s.get(server.url + "/") as r:
            await r.read()
        assert server.connections == 1  # paused, resumed, read to the end: pooled


async def test_read_bufsize_sets_the_buffer_limits() -> None:
    async with HTTPServer(app) as server:
        async with ketch.ClientSession(read_bufsize=2**20) as s:
            async with s.get(server.url + "/") as r:
                assert r.content.get_read_buffer_limits() == (2**20, 2**21)
            async with s.get(server.url + "/", read_bufsize=1000) as r:
                assert r.content.get_read_buffer_limits() == (1000, 2000)


async def test_traces_see_each_piece_read_and_the_end_of_the_body() -> None:
    events: list[tuple[str, Any]] = []

    async def on_chunk(session: Any, ctx: Any, params: Any) -> None:
        events.append(("chunk", params.chunk))

    async def on_end(session: Any, ctx: Any, params: Any) -> None:
        events.append(("end", (params.method, params.url)))

    tc = ketch.TraceConfig()
    tc.on_response_chunk_received.append(on_chunk)
    tc.on_response_body_end.append(on_end)
    async with HTTPServer(app) as server, ketch.ClientSession(trace_configs=[tc]) as s:
        async with s.get(server.url + "/chunks") as r:
            async for _ in r.content.iter_chunked(3):
                pass
        assert b"".join(c for kind, c in events if kind == "chunk") == b"aaaabbbbccccdddd"
        assert events[-1] == ("end", ("GET", URL(server.url + "/chunks")))
        assert [kind for kind, _ in events].count("end") == 1
        events.clear()
        async with s.get(server.url + "/") as r:
            assert await r.read() == b"hello"
        assert events == [("chunk", b"hello"), ("end", ("GET", URL(server.url + "/")))]


async def test_a_decompression_bomb_is_expanded_only_as_fast_as_it_is_read() -> None:
    plain = bytes(32 * 2**20)  # 32 MiB of zeros: about 32 KiB gzipped
    packed = gzip.compress(plain, compresslevel=9)

    async def bomb(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=packed, headers=[("Content-Encoding", "gzip")])

    async with HTTPServer(bomb) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/") as r:
            await asyncio.sleep(0.05)
            _, high = r.content.get_read_buffer_limits()
            # Decoding stops once the reader is behind; at most one decoding step beyond.
            assert r.content.total_bytes <= high + 2**18
            total = 0
            async for piece in r.content.iter_chunked(2**16):
                assert not any(piece)
                total += len(piece)
            assert total == len(plain)
        async with s.get(server.url + "/") as r:
            assert len(await r.read()) == len(plain)
        assert server.connections == 1


async def header_response(s: ketch.ClientSession, server: HTTPServer, name: str,
                          value: str) -> ketch.ClientResponse:
    resp = await s.get(f"{server.url}/header?{name}={quote(value)}")
    await resp.read()
    return resp


@pytest.mark.parametrize(("value", "ctype", "charset"), [
    ('text/HTML; Charset="UTF-8"', "text/html", "UTF-8"),
    ("text/plain;charset=latin-1;format=flowed", "text/plain", "latin-1"),
    ('text/plain; a="x;y"; charset=koi8-r', "text/plain", "koi8-r"),
    ("nonsense", "application/octet-stream", None),
    ("text/plain; charset", "text/plain", None),
])
async def test_content_type_and_charset_parsing(value: str, ctype: str,
                                                charset: str | None) -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        r = await header_response(s, server, "Content-Type", value)
        assert (r.content_type, r.charset) == (ctype, charset)


@pytest.mark.parametrize(("value", "dtype", "filename", "params"), [
    ('attachment; filename="report 1.pdf"', "attachment", "report 1.pdf",
     {"filename": "report 1.pdf"}),
    ("INLINE; filename*=UTF-8''na%C3%AFve%20file.txt; filename=naive.txt", "inline",
     "naïve file.txt", {"filename*": "naïve file.txt", "filename": "naive.txt"}),
    ('attachment; filename*0="long "; filename*1="name.txt"', "attachment",
     "long name.txt", {"filename*0": "long ", "filename*1": "name.txt"}),
    ("attachment; filename*=bogus-charset''%41", "attachment", None, {}),
    ('"quoted"; filename=x', None, None, {}),
])
async def test_content_disposition(value: str, dtype: str | None, filename: str | None,
                                   params: dict[str, str]) -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        r = await header_response(s, server, "Content-Disposition", value)
        cd = r.content_disposition
        assert cd is not None
        assert (cd.type, cd.filename, dict(cd.parameters)) == (dtype, filename, params)
        r = await s.get(server.url + "/")
        assert r.content_disposition is None
        r.release()


async def test_empty_bodies_head_204_304_are_pooled() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/204":
            return Reply(status=204, reason="No Content", headers=[("Content-Length", "0")])
        if req.target == "/304":
            return Reply(status=304, reason="Not Modified", headers=[("Content-Length", "0")])
        if req.method == "HEAD" and req.target == "/":
            return Reply(headers=[("Content-Length", "4")])  # the head only, as it should
        return Reply(body=b"body")  # (for HEAD /buggy too: a server bug)

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        async with s.head(server.url + "/") as r:
            assert r.content_length == 4
            assert await r.read() == b""
            assert r.content.at_eof()
        for path in ("/204", "/304"):
            async with s.get(server.url + path) as r:
                assert await r.read() == b""
        async with s.get(server.url + "/") as r:
            assert await r.read() == b"body"
        assert server.connections == 1
        # A server that sends a body after a HEAD response: the response is whole, the
        # connection (holding stray bytes) is not reused.
        async with s.head(server.url + "/buggy") as r:
            assert r.status == 200
            assert await r.read() == b""
        async with s.get(server.url + "/") as r:
            assert await r.read() == b"body"
        assert server.connections == 2


async def test_chunk_ends_survive_decompression() -> None:
    plain = b"".join(bytes([65 + i]) * 3000 for i in range(8))
    packed = gzip.compress(plain)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=packed, chunked=True, headers=[("Content-Encoding", "gzip")])

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/") as r:
            pieces = [p async for p in r.content.iter_chunks()]
    assert b"".join(d for d, _ in pieces) == plain
    assert pieces[-1][1] is True  # the last HTTP chunk's end is reported after decoding


async def test_tls_reader_that_does_not_read_pauses_the_socket() -> None:
    server_ctx, client_ctx = tls_contexts()
    async with HTTPServer(app, ssl=server_ctx) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/big", ssl=client_ctx) as r:
            conn = r.connection
            assert conn is not None and conn.transport is not None
            assert await stopped_reading(conn.transport)
            buffered = r.content.total_bytes
            await asyncio.sleep(0.1)
            assert r.content.total_bytes == buffered
            assert buffered < 4 * 2**20  # far below the 16 MiB the server sends
            assert await r.read() == BIG


@pytest.mark.parametrize("name", ["ClientResponse", "RequestInfo", "StreamReader", "HttpVersion"])
def test_response_side_names_report_their_public_home(name: str) -> None:
    assert getattr(ketch, name).__module__ == "ketch"


def test_http_versions_and_request_info() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(ketch.HttpVersion10)) == (1, 0)
    assert ketch.HttpVersion(1, 1) == ketch.HttpVersion11
    url = URL("http://example.com/a#frag")
    info = ketch.RequestInfo(url.with_fragment(None), "GET", CIMultiDictProxy(CIMultiDict()))
    assert info.real_url == info.url  # real_url defaults to url, as aiohttp's
    assert ketch.RequestInfo(info.url, "GET", info.headers, url).real_url == url
    u, method, headers, real = info  # a named tuple
    assert (u, method) == (info.url, "GET")


async def test_an_unreleased_response_is_closed_when_collected_and_warned_in_debug() -> None:
    import gc

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    loop.set_debug(True)
    try:
        async with HTTPServer(app) as server, ketch.ClientSession() as s:
            r = await s.get(server.url + "/big")
            conn = r.connection
            assert conn is not None
            with pytest.warns(ResourceWarning, match="Unclosed response"):
                del r
                gc.collect()
            assert conn.closed  # never pooled with an unread body
            async with s.get(server.url + "/") as r2:
                assert await r2.read() == b"hello"
            assert server.connections == 2
    finally:
        loop.set_debug(False)
        loop.set_exception_handler(None)
    assert [c["message"] for c in reported] == ["Unclosed response"]
