"""Behaviour the client's fast paths must keep (the pooled-connection reuse without a
socket peek, the lazy request_info, the already-complete body)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

import ketch
from tests.client._early import (
    EarlyAnswerServer,
    assert_answered_early,
    pool_state,
    small_buffers,
)
from tests.servers import HTTPServer, Reply, Request, tls_contexts


async def test_server_closing_unannounced_after_each_response_never_fails_a_get() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        writer.write(Reply(body=b"ok").encode())
        return None  # then close, without Connection: close

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        for _ in range(5):
            async with s.get(server.url) as resp:
                assert await resp.read() == b"ok"
            # The FIN reaches the socket while the loop is busy: the pooled connection
            # looks alive when the next GET takes it (reused at once, it is not peeked).
            time.sleep(0.01)
        assert server.connections >= 5
        assert len(server.requests) >= 5


async def test_connector_overriding_connect_sees_every_acquire() -> None:
    # The session takes pooled connections without a coroutine only from connectors whose
    # connect() is the base one; an override (a user's instrumentation) is always called.
    calls = []

    class Counting(ketch.TCPConnector):
        async def connect(self, key, traces=(), *, timeout=None, sock_connect=None):  # type: ignore[no-untyped-def]
            calls.append(key)
            return await super().connect(key, traces, timeout=timeout, sock_connect=sock_connect)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=b"ok")

    async with HTTPServer(handler) as server, ketch.ClientSession(connector=Counting()) as s:
        for _ in range(3):
            async with s.get(server.url) as resp:
                assert await resp.read() == b"ok"
        assert len(calls) == 3
        assert server.connections == 1


async def test_cached_url_strings_resolve_against_the_base_and_bad_ones_always_fail() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=req.target.encode())

    async with HTTPServer(handler) as server, ketch.ClientSession(base_url=server.url) as s:
        for _ in range(2):
            async with s.get("/a?x=1") as resp:
                assert await resp.read() == b"/a?x=1"
                assert str(resp.url) == f"{server.url}/a?x=1"
        for _ in range(2):  # never cached: it fails every time
            with pytest.raises(ketch.NonHttpUrlClientError):
                await s.get("ftp://example.com/")


async def test_a_request_naming_only_its_url_gets_every_session_default() -> None:
    # session.get(url) with no other argument takes a shorter path than one with
    # arguments; the session's settings must apply to it all the same.
    seen: list[str] = []

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        seen.append(f"{req.method} {req.target} {req.header('X-Default')}")
        if req.target == "/slow":
            await asyncio.sleep(1)
        if req.target == "/redirect":
            return Reply(status=302, headers=[("Location", "/missing")])
        return Reply(status=404 if req.target == "/missing" else 200, body=b"ok")

    async def on_start(session: object, ctx: object, params: object) -> None:
        seen.append("traced")

    trace = ketch.TraceConfig()
    trace.on_request_start.append(on_start)
    async with HTTPServer(handler) as server:
        async with ketch.ClientSession(server.url, trace_configs=[trace]) as s:
            async with s.get("/x") as resp:
                assert resp.status == 200
        assert seen == ["traced", "GET /x None"]
        seen.clear()
        async with ketch.ClientSession(
            server.url, headers={"X-Default": "yes"}, raise_for_status=True,
            timeout=ketch.ClientTimeout(total=0.3),
        ) as s:
            with pytest.raises(ketch.ClientResponseError) as info:
                await s.get("/redirect")  # followed, then raise_for_status
            assert info.value.status == 404 and len(info.value.history) == 1
            async with s.request("delete", "/x") as resp:  # method uppercased
                assert resp.method == "DELETE"
            async with s.head("/x") as resp:
                assert resp.status == 200 and await resp.read() == b""
            with pytest.raises(asyncio.TimeoutError):
                await s.options("/slow")
        with pytest.raises(RuntimeError, match="closed"):
            await s.get("/x")
    assert seen == ["GET /redirect yes", "GET /missing yes", "DELETE /x yes", "HEAD /x yes",
                    "OPTIONS /slow yes"]


async def test_repeated_url_only_requests_send_what_the_first_one_sent() -> None:
    # Once a method-and-URL-only request has been sent, the next like it is written as
    # soon as a connection is idle, before its request and response objects are made;
    # everything that can change its head must still reach the wire.
    heads: list[list[tuple[str, str]]] = []
    methods: list[str] = []

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        heads.append(req.headers)
        methods.append(req.method)
        if req.target == "/redirect":
            return Reply(status=302, headers=[("Location", "/final")])
        if req.target == "/set":
            return Reply(headers=[("Set-Cookie", "k=v")], body=b"set")
        return Reply(body=req.target.encode())

    jar = ketch.CookieJar(unsafe=True)  # the server is an IP address
    async with HTTPServer(handler) as server, \
            ketch.ClientSession(server.url, cookie_jar=jar) as s:
        for _ in range(3):
            async with s.get("/a") as resp:
                assert await resp.read() == b"/a"
                assert list(resp.request_info.headers.items()) == heads[-1]
        assert heads[0] == heads[1] == heads[2]
        for _ in range(2):  # remembered under the method as given, sent uppercased
            async with s.request("get", "/a") as resp:
                assert await resp.read() == b"/a" and resp.method == "GET"
        assert methods[-2:] == ["GET", "GET"] and heads[-1] == heads[0]
        s.headers["X-Later"] = "1"  # seen by the very next request
        async with s.get("/a") as resp:
            await resp.read()
        assert ("X-Later", "1") in heads[-1]
        for _ in range(2):  # a redirect after an early-written first hop
            async with s.get("/redirect") as resp:
                assert await resp.read() == b"/final" and len(resp.history) == 1
        async with s.get("/set") as resp:
            await resp.read()
        async with s.get("/a") as resp:  # the jar is no longer empty: cookies go out
            await resp.read()
        assert ("Cookie", "k=v") in heads[-1]
        assert server.connections == 1


async def test_url_only_requests_honour_a_request_class_and_an_overridden_request() -> None:
    ids: list[str | None] = []

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        ids.append(req.header("X-Request-Id"))
        return Reply(body=b"ok")

    counter = iter(range(100))

    class Numbered(ketch.ClientRequest):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self.headers["X-Request-Id"] = str(next(counter))

    seen: list[str] = []

    class Counting(ketch.ClientSession):
        async def _request(self, method, str_or_url, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(method)
            return await super()._request(method, str_or_url, **kwargs)

    async with HTTPServer(handler) as server:
        async with ketch.ClientSession(request_class=Numbered) as s:
            for _ in range(3):  # each request made anew, never a head sent before
                async with s.get(server.url) as resp:
                    await resp.read()
        assert ids == ["0", "1", "2"]
        async with Counting() as s:
            for _ in range(2):
                async with s.get(server.url) as resp:
                    await resp.read()
        assert seen == ["GET", "GET"]


async def test_repeated_bytes_bodies_go_out_with_the_head_sent_before() -> None:
    # post/put/patch with only a bytes body take the same lane as URL-only requests: the
    # head of an earlier request with a body of the same size is written at once, with
    # this request's own body.
    seen: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        seen.append((req.method, req.target, req.headers, req.body))
        if req.target == "/moved":
            return Reply(status=307, headers=[("Location", "/final")])
        return Reply(body=req.body[::-1])

    async with HTTPServer(handler) as server, ketch.ClientSession(server.url) as s:
        for body in (b"abc", b"abc", b"xyz", b"hello", b"", b""):
            async with s.post("/p", data=body) as resp:
                assert await resp.read() == body[::-1]
                assert resp.request_info.headers["Content-Length"] == str(len(body))
        assert [(m, b) for m, _, _, b in seen] == [
            ("POST", b"abc"), ("POST", b"abc"), ("POST", b"xyz"), ("POST", b"hello"),
            ("POST", b""), ("POST", b"")]
        assert seen[0][2] == seen[1][2] == seen[2][2]
        assert ("Content-Length", "5") in seen[3][2] and ("Content-Length", "0") in seen[4][2]
        for verb in (s.put, s.patch, s.put):
            async with verb("/p", data=b"123") as resp:
                assert await resp.read() == b"321"
        assert [m for m, _, _, _ in seen[-3:]] == ["PUT", "PATCH", "PUT"]
        for _ in range(2):  # 307 sends the body again, to the new target
            async with s.post("/moved", data=b"again") as resp:
                assert await resp.read() == b"niaga" and len(resp.history) == 1
        assert [(t, b) for _, t, _, b in seen[-2:]] == [("/moved", b"again"), ("/final", b"again")]
        # json= bodies too, under their own Content-Type (a bytes body of the same size
        # keeps its own head).
        for value in ({"a": 1}, {"b": 2}, "abcdef", {"c": [3]}):
            async with s.post("/p", json=value) as resp:
                assert json.loads((await resp.read())[::-1]) == value
            assert ("Content-Type", "application/json") in seen[-1][2]
        async with s.post("/p", data=b'{"a": 1}') as resp:  # the size of {"a": 1}
            await resp.read()
        assert ("Content-Type", "application/octet-stream") in seen[-1][2]
        assert seen[-1][3] == b'{"a": 1}'
        with pytest.raises(ValueError, match="data and json"):
            await s.post("/p", data=b"x", json={"a": 1})
        assert server.connections == 1


async def test_a_body_written_early_that_the_server_stops_reading_gets_its_early_answer() -> None:
    # The second upload of the same size is written with its remembered head before its
    # objects exist; the server answers 413 after the head and reads no more, so the
    # kernel takes only part of the body: the rest goes out beside waiting for the answer,
    # the 413 arrives at once, and the half-written connection is closed, not pooled.
    body = b"z" * (4 * 1024 * 1024)  # the largest body sent with its head
    async with EarlyAnswerServer(read_first=len(body)) as server, ketch.ClientSession(
            connector=small_buffers(), timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(server.url, data=body) as resp:
            assert resp.status == 200 and await resp.read() == b"ok"
        async with s.post(server.url, data=body) as resp:
            await assert_answered_early(resp)
        assert pool_state(s) == (0, 0)
    assert server.heads[0] == server.heads[1]


async def test_a_body_the_kernel_did_not_take_whole_is_never_pooled_half_sent() -> None:
    # The same without the early write (a first upload): the last bytes the transport
    # holds, under its high-water mark, count as unsent too.
    async with EarlyAnswerServer() as server, ketch.ClientSession(
            connector=small_buffers(), timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(server.url, data=b"w" * (4 << 20)) as resp:
            await assert_answered_early(resp)
        assert pool_state(s) == (0, 0)


async def test_a_chunked_head_is_never_replayed_with_a_raw_body() -> None:
    # Transfer-Encoding: chunked among the session's headers frames every body as chunks:
    # such a head is not remembered (the lane writes a body as it is after the head).
    seen: list[tuple[str | None, bytes]] = []

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        seen.append((req.header("Transfer-Encoding"), req.body))
        return Reply(body=req.body)

    async with HTTPServer(handler) as server, ketch.ClientSession(
            server.url, headers={"Transfer-Encoding": "chunked"},
            timeout=ketch.ClientTimeout(total=5)) as s:
        for body in (b"hello", b"hello", b"0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n", b"", b""):
            async with s.post("/p", data=body) as resp:
                assert await resp.read() == body
    assert seen == [("chunked", b"hello"), ("chunked", b"hello"),
                    ("chunked", b"0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n"), ("chunked", b""),
                    ("chunked", b"")]


async def test_over_https_a_half_sent_body_is_never_pooled() -> None:
    # The TLS layer hands its records to the TCP transport under it at once: that one's
    # unsent bytes count too, else the 413 would pool a connection still mid-upload.
    server_ctx, client_ctx = tls_contexts()
    async with EarlyAnswerServer(ssl_context=server_ctx) as server, ketch.ClientSession(
            connector=small_buffers(ssl=client_ctx),
            timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(server.url, data=b"t" * (4 << 20)) as resp:
            assert resp.status == 413 and await resp.read() == b"nope"
        assert pool_state(s) == (0, 0)
