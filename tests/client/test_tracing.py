"""Tracing through real requests: every signal, in the documented order, over HTTP and HTTPS.

The servers are real loopback servers (tests/servers.py), TLS uses trustme certificates,
and DNS goes through the connector's resolver for the name ``localhost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trustme
from multidict import CIMultiDict
from yarl import URL

import ketch
import ketch_tracing
from ketch_tracing import SIGNALS, RequestTimings
from tests.servers import HTTPServer, Reply, Request

BODY = b"0123456789" * 10


class Recorder(ketch.TraceConfig):
    """A TraceConfig recording ``(signal name, params)`` for every signal, in order."""

    def __init__(self, factory: Any = types.SimpleNamespace) -> None:
        super().__init__(trace_config_ctx_factory=factory)
        self.events: list[tuple[str, Any, Any]] = []
        for spec in SIGNALS:
            getattr(self, spec.name).append(self._recorder(spec.name))

    def _recorder(self, name: str) -> Any:
        async def record(session: Any, ctx: Any, params: Any) -> None:
            self.events.append((name, params, ctx))

        return record

    def names(self, request: object = None) -> list[str]:
        """Signal names in order (of one request, given its trace_request_ctx); body chunks
        received are left out (their number depends on how the bytes arrive) and are
        checked by the download tests."""
        return [
            n for n, _, ctx in self.events
            if n != "on_response_chunk_received"
            and (request is None or ctx.trace_request_ctx == request)
        ]

    def params(self, name: str) -> list[Any]:
        return [p for n, p, _ in self.events if n == name]


async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
    if req.target == "/redirect":
        return Reply(status=302, reason="Found", headers=[("Location", "/final")], body=b"moved")
    if req.target == "/some/redirect/":
        return Reply(status=301, reason="Moved", headers=[("Location", "/some/")])
    if req.target == "/stream":
        return Reply(body=BODY, chunked=True)
    if req.method == "POST":
        return Reply(body=req.body)
    if req.method == "HEAD":  # the head a GET would have, without the body (RFC 9110 §9.3.2)
        return Reply(headers=[("Content-Length", str(len(BODY)))])
    return Reply(body=BODY)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ssl(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="module")
def client_ssl(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def serve(scheme: str, server_ssl: ssl.SSLContext) -> AsyncIterator[HTTPServer]:
    async with HTTPServer(handler, ssl=server_ssl if scheme == "https" else None) as server:
        yield server


def session(
    client_ssl: ssl.SSLContext, *configs: ketch.TraceConfig, **connector: Any
) -> ketch.ClientSession:
    return ketch.ClientSession(
        connector=ketch.TCPConnector(ssl=client_ssl, **connector), trace_configs=list(configs)
    )


def connect_signals(scheme: str) -> list[str]:
    """What creating a connection to an IP address sends (no DNS)."""
    tls = ["on_tls_handshake_start", "on_tls_handshake_end"] if scheme == "https" else []
    return ["on_connection_create_start", *tls, "on_connection_create_end"]


GET_TAIL = ["on_request_headers_sent", "on_request_end", "on_response_body_end"]


# -- connections -----------------------------------------------------------------------


async def test_fresh_connection(scheme: str, server_ssl: ssl.SSLContext,
                                client_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    async with serve(scheme, server_ssl) as server, session(client_ssl, rec) as s:
        async with s.get(server.url + "/a") as resp:
            assert await resp.read() == BODY
    assert rec.names() == ["on_request_start", *connect_signals(scheme), *GET_TAIL]
    (start,) = rec.params("on_request_start")
    assert (start.method, start.url) == ("GET", URL(server.url + "/a"))
    assert isinstance(start.headers, CIMultiDict)
    (sent,) = rec.params("on_request_headers_sent")
    assert (sent.method, sent.url) == ("GET", URL(server.url + "/a"))
    assert sent.headers["Host"] == f"127.0.0.1:{server.port}"
    (end,) = rec.params("on_request_end")
    assert end.response is resp and (end.method, end.url) == ("GET", URL(server.url + "/a"))
    (body_end,) = rec.params("on_response_body_end")
    assert (body_end.method, body_end.url) == ("GET", URL(server.url + "/a"))


async def test_reused_connection(scheme: str, server_ssl: ssl.SSLContext,
                                 client_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    async with serve(scheme, server_ssl) as server, session(client_ssl, rec) as s:
        for _ in range(2):
            async with s.get(server.url + "/a") as resp:
                await resp.read()
        assert server.connections == 1
    names = rec.names()
    second = names[names.index("on_request_start", 1):]
    assert second == ["on_request_start", "on_connection_reuseconn", *GET_TAIL]


async def test_dns_cache_miss_then_hit(scheme: str, server_ssl: ssl.SSLContext,
                                       client_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    tls = ["on_tls_handshake_start", "on_tls_handshake_end"] if scheme == "https" else []
    async with serve(scheme, server_ssl) as server, \
            session(client_ssl, rec, family=socket.AF_INET, force_close=True) as s:
        url = server.url.replace("127.0.0.1", "localhost") + "/a"
        for _ in range(2):
            async with s.get(url) as resp:
                await resp.read()
        assert server.connections == 2
    names = rec.names()
    split = names.index("on_request_start", 1)
    assert names[:split] == [
        "on_request_start", "on_connection_create_start", "on_dns_cache_miss",
        "on_dns_resolvehost_start", "on_dns_resolvehost_end", *tls,
        "on_connection_create_end", *GET_TAIL,
    ]
    assert names[split:] == [
        "on_request_start", "on_connection_create_start", "on_dns_cache_hit", *tls,
        "on_connection_create_end", *GET_TAIL,
    ]
    for name in ("on_dns_cache_miss", "on_dns_resolvehost_start", "on_dns_resolvehost_end",
                 "on_dns_cache_hit"):
        assert [p.host for p in rec.params(name)] == ["localhost"], name


async def test_dns_without_cache_sends_only_resolve_signals(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    rec = Recorder()
    async with serve("http", server_ssl) as server, \
            session(client_ssl, rec, family=socket.AF_INET, use_dns_cache=False) as s:
        async with s.get(server.url.replace("127.0.0.1", "localhost")) as resp:
            await resp.read()
    assert rec.names() == [
        "on_request_start", "on_connection_create_start", "on_dns_resolvehost_start",
        "on_dns_resolvehost_end", "on_connection_create_end", *GET_TAIL,
    ]


async def test_queued_for_a_connection_slot(client_ssl: ssl.SSLContext) -> None:
    finish = asyncio.Event()

    async def hold(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        if req.target != "/hold":
            return Reply(body=BODY)
        # Half a body, so the first request keeps the only connection until it ends.
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234")
        await finish.wait()
        writer.write(b"56789")
        await writer.drain()
        return None

    rec = Recorder()
    async with HTTPServer(hold) as server, session(client_ssl, rec, limit=1) as s:
        async with s.get(server.url + "/hold", trace_request_ctx="first") as resp:
            task = asyncio.ensure_future(s.get(server.url + "/a", trace_request_ctx="second"))
            for _ in range(400):
                if "on_connection_queued_start" in rec.names("second"):
                    break
                await asyncio.sleep(0.005)
            assert rec.names("second") == ["on_request_start", "on_connection_queued_start"]
            finish.set()
            assert await resp.read() == b"0123456789"
        async with await task as resp2:
            await resp2.read()
    assert rec.names("first") == ["on_request_start", *connect_signals("http"), *GET_TAIL]
    assert rec.names("second") == [
        "on_request_start", "on_connection_queued_start", "on_connection_queued_end",
        *connect_signals("http"), *GET_TAIL,
    ]


# -- requests --------------------------------------------------------------------------


async def test_redirect(scheme: str, server_ssl: ssl.SSLContext,
                        client_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    async with serve(scheme, server_ssl) as server, session(client_ssl, rec) as s:
        async with s.get(server.url + "/redirect") as resp:
            assert await resp.read() == BODY
    assert rec.names() == [
        "on_request_start", *connect_signals(scheme), "on_request_headers_sent",
        "on_request_redirect", "on_connection_reuseconn", "on_request_headers_sent",
        "on_request_end", "on_response_body_end",
    ]
    (redirect,) = rec.params("on_request_redirect")
    assert (redirect.method, redirect.url) == ("GET", URL(server.url + "/redirect"))
    assert redirect.response.status == 302 and redirect.response in resp.history
    assert [p.url.path for p in rec.params("on_request_headers_sent")] == ["/redirect", "/final"]
    (end,) = rec.params("on_request_end")
    # aiohttp reports the final hop's method and URL at the end.
    assert (end.method, end.url, end.response) == ("GET", URL(server.url + "/final"), resp)


async def test_see_other_ends_with_the_get_it_became(server_ssl: ssl.SSLContext,
                                                     client_ssl: ssl.SSLContext) -> None:
    async def see_other(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/form":
            return Reply(status=303, reason="See Other", headers=[("Location", "/done")])
        return Reply(body=req.method.encode())

    rec = Recorder()
    async with HTTPServer(see_other) as server, session(client_ssl, rec) as s:
        async with s.post(server.url + "/form", data=b"x") as resp:
            assert await resp.read() == b"GET"
    assert rec.names() == [
        "on_request_start", *connect_signals("http"), "on_request_headers_sent",
        "on_request_chunk_sent", "on_request_redirect", "on_connection_reuseconn",
        "on_request_headers_sent", "on_request_end", "on_response_body_end",
    ]
    (redirect,) = rec.params("on_request_redirect")
    assert (redirect.method, redirect.url.path) == ("POST", "/form")
    (end,) = rec.params("on_request_end")
    assert (end.method, end.url) == ("GET", URL(server.url + "/done"))


async def test_failed_connection(scheme: str, client_ssl: ssl.SSLContext) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rec = Recorder()
    async with session(client_ssl, rec) as s:
        with pytest.raises(ketch.ClientConnectorError) as excinfo:
            await s.get(f"{scheme}://127.0.0.1:{port}/")
    assert rec.names() == [
        "on_request_start", "on_connection_create_start", "on_request_exception",
    ]
    (failed,) = rec.params("on_request_exception")
    assert failed.exception is excinfo.value
    assert (failed.method, failed.url) == ("GET", URL(f"{scheme}://127.0.0.1:{port}/"))


async def test_failure_on_a_redirect_hop_reports_that_hop(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/gone"

    async def away(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(status=303, reason="See Other", headers=[("Location", dead)])

    rec = Recorder()
    async with HTTPServer(away) as server, session(client_ssl, rec) as s:
        with pytest.raises(ketch.ClientConnectorError):
            await s.post(server.url + "/form", data=b"x")
    assert rec.names()[-3:] == [
        "on_request_redirect", "on_connection_create_start", "on_request_exception",
    ]
    (failed,) = rec.params("on_request_exception")
    # As in aiohttp: the hop under way when it failed (a 303 turned the POST into a GET).
    assert (failed.method, failed.url) == ("GET", URL(dead))


async def test_failed_tls_handshake(server_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    untrusting = ssl.create_default_context()  # does not trust the test CA
    async with serve("https", server_ssl) as server, session(untrusting, rec) as s:
        with pytest.raises(ketch.ClientConnectorCertificateError) as excinfo:
            await s.get(server.url + "/a")
    assert rec.names() == [
        "on_request_start", "on_connection_create_start", "on_tls_handshake_start",
        "on_request_exception",
    ]
    (failed,) = rec.params("on_request_exception")
    assert failed.exception is excinfo.value


async def test_server_closing_without_an_answer(server_ssl: ssl.SSLContext,
                                                client_ssl: ssl.SSLContext) -> None:
    async def hang_up(req: Request, writer: asyncio.StreamWriter) -> None:
        return None  # read the request, close the connection

    rec = Recorder()
    async with HTTPServer(hang_up) as server, session(client_ssl, rec) as s:
        # POST: not idempotent, so the client does not retry it on a new connection.
        with pytest.raises(ketch.ServerDisconnectedError) as excinfo:
            await s.post(server.url + "/a", data=b"x")
    assert rec.names() == [
        "on_request_start", *connect_signals("http"), "on_request_headers_sent",
        "on_request_chunk_sent", "on_request_exception",
    ]
    (failed,) = rec.params("on_request_exception")
    assert failed.exception is excinfo.value


async def test_chunked_upload_sends_each_chunk(scheme: str, server_ssl: ssl.SSLContext,
                                               client_ssl: ssl.SSLContext) -> None:
    pieces = [b"one", b"two", b"three"]

    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    rec = Recorder()
    async with serve(scheme, server_ssl) as server, session(client_ssl, rec) as s:
        async with s.post(server.url + "/up", data=body()) as resp:
            assert await resp.read() == b"onetwothree"
        assert server.requests[0].header("Transfer-Encoding") == "chunked"
    assert rec.names() == [
        "on_request_start", *connect_signals(scheme), "on_request_headers_sent",
        *["on_request_chunk_sent"] * len(pieces), "on_request_end", "on_response_body_end",
    ]
    sent = rec.params("on_request_chunk_sent")
    assert [p.chunk for p in sent] == pieces
    assert {(p.method, p.url) for p in sent} == {("POST", URL(server.url + "/up"))}


async def test_bytes_upload_is_one_chunk(server_ssl: ssl.SSLContext,
                                         client_ssl: ssl.SSLContext) -> None:
    rec = Recorder()
    async with serve("http", server_ssl) as server, session(client_ssl, rec) as s:
        async with s.post(server.url + "/up", data=b"payload") as resp:
            await resp.read()
    assert rec.names()[-5:] == [
        "on_connection_create_end", "on_request_headers_sent", "on_request_chunk_sent",
        "on_request_end", "on_response_body_end",
    ]
    assert [p.chunk for p in rec.params("on_request_chunk_sent")] == [b"payload"]


async def test_streamed_download_sends_each_chunk_received(
    scheme: str, server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    rec = Recorder()
    pieces = []
    async with serve(scheme, server_ssl) as server, session(client_ssl, rec) as s:
        async with s.get(server.url + "/stream") as resp:
            async for piece in resp.content.iter_chunked(7):
                pieces.append(piece)
    assert b"".join(pieces) == BODY
    names = [n for n, _, _ in rec.events]
    end, body_end = names.index("on_request_end"), names.index("on_response_body_end")
    received = names[end + 1 : body_end]
    assert received and set(received) == {"on_response_chunk_received"}
    assert body_end == len(names) - 1
    chunks = [p.chunk for p in rec.params("on_response_chunk_received")]
    assert chunks == pieces  # one signal per piece the reader handed out, in order
    assert {(p.method, p.url) for p in rec.params("on_response_chunk_received")} == {
        ("GET", URL(server.url + "/stream"))
    }


# -- contexts, configs, errors ----------------------------------------------------------


async def test_each_config_gets_its_own_context_with_trace_request_ctx(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    made: list[tuple[str, object]] = []

    def factory(name: str) -> Any:
        def make(trace_request_ctx: object = None) -> types.SimpleNamespace:
            made.append((name, trace_request_ctx))
            return types.SimpleNamespace(trace_request_ctx=trace_request_ctx, name=name)

        return make

    a, b = Recorder(factory("a")), Recorder(factory("b"))
    marker = {"foo": "bar"}
    async with serve("http", server_ssl) as server, session(client_ssl, a, b) as s:
        async with s.get(server.url + "/redirect", trace_request_ctx=marker) as resp:
            await resp.read()
    # One context per config per request (redirect hops included), made in config order.
    assert made == [("a", marker), ("b", marker)]
    assert {ctx.name for _, _, ctx in a.events} == {"a"}
    assert {ctx.name for _, _, ctx in b.events} == {"b"}
    assert a.names() == b.names()
    assert all(ctx.trace_request_ctx is marker for _, _, ctx in a.events)


async def test_session_freezes_its_trace_configs() -> None:
    config = ketch.TraceConfig()
    async with ketch.ClientSession(trace_configs=[config]):
        assert config.frozen
        with pytest.raises(RuntimeError):
            config.on_request_start.append(Recorder()._recorder("x"))


@pytest.mark.parametrize(
    "signal", ["on_request_start", "on_connection_create_end", "on_request_headers_sent"]
)
async def test_a_raising_callback_propagates_and_its_connection_is_not_pooled(
    signal: str, server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    class Boom(Exception):
        pass

    armed = [True]

    async def boom(session: Any, ctx: Any, params: Any) -> None:
        if armed[0]:
            armed[0] = False
            raise Boom(signal)

    config = ketch.TraceConfig()
    getattr(config, signal).append(boom)
    rec = Recorder()
    async with serve("http", server_ssl) as server, session(client_ssl, config, rec) as s:
        with pytest.raises(Boom, match=signal):
            await s.get(server.url + "/a")
        async with s.get(server.url + "/a") as resp:
            assert await resp.read() == BODY
        # The head is written before on_request_headers_sent; the other two stop earlier.
        assert len(server.requests) == (2 if signal == "on_request_headers_sent" else 1)
    names = rec.names()
    second = names[len(names) - 1 - names[::-1].index("on_request_start"):]
    # A connection that saw the error is never reused.
    assert "on_connection_reuseconn" not in second
    assert "on_connection_create_start" in second
    assert second[-3:] == GET_TAIL
    if signal != "on_request_start":
        # on_request_exception reports the callback's error, as aiohttp does.
        (failed,) = rec.params("on_request_exception")
        assert isinstance(failed.exception, Boom)


# -- the reference text's examples, as written (with ``import ketch as aiohttp``) -------
# The reference calls ``client.get(url)`` without awaiting it, which sends nothing (with
# aiohttp too); here each such call is awaited and its body read, so the snippet runs.


async def test_reference_example_start_and_end(
    server_ssl: ssl.SSLContext, capsys: pytest.CaptureFixture[str]
) -> None:
    import ketch as aiohttp

    async def on_request_start(  # type: ignore[no-untyped-def]
            session, trace_config_ctx, params):
        print("Starting request")

    async def on_request_end(session, trace_config_ctx, params):  # type: ignore[no-untyped-def]
        print("Ending request")

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    trace_config.on_request_end.append(on_request_end)
    async with serve("http", server_ssl) as server:
        async with aiohttp.ClientSession(
                trace_configs=[trace_config]) as client:
            async with client.get(server.url + '/some/redirect/') as resp:
                await resp.read()
    assert capsys.readouterr().out == "Starting request\nEnding request\n"


async def test_reference_example_two_configs(
    server_ssl: ssl.SSLContext, capsys: pytest.CaptureFixture[str]
) -> None:
    import ketch as aiohttp

    class AuditRequest(aiohttp.TraceConfig):  # what ``mylib.traceconfig`` might hold
        def __init__(self) -> None:
            super().__init__()
            self.on_request_start.append(self.audit)

        async def audit(self, session: Any, ctx: Any, params: Any) -> None:
            print("audit", params.method, params.url.path)

    class XRay(aiohttp.TraceConfig):
        def __init__(self) -> None:
            super().__init__()
            self.on_request_redirect.append(self.xray)

        async def xray(self, session: Any, ctx: Any, params: Any) -> None:
            print("xray", params.response.status)

    async with serve("http", server_ssl) as server:
        async with aiohttp.ClientSession(
                trace_configs=[AuditRequest(), XRay()]) as client:
            async with client.get(server.url + '/some/redirect/') as resp:
                await resp.read()
    assert capsys.readouterr().out == "audit GET /some/redirect/\nxray 301\n"


async def test_reference_example_context_shared_between_signals(
    server_ssl: ssl.SSLContext, capsys: pytest.CaptureFixture[str]
) -> None:
    import ketch as aiohttp

    async def on_request_start(  # type: ignore[no-untyped-def]
            session, trace_config_ctx, params):
        trace_config_ctx.start = asyncio.get_event_loop().time()

    async def on_request_end(session, trace_config_ctx, params):  # type: ignore[no-untyped-def]
        elapsed = asyncio.get_event_loop().time() - trace_config_ctx.start
        print("Request took {}".format(elapsed))

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    trace_config.on_request_end.append(on_request_end)
    async with serve("http", server_ssl) as server:
        async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
            async with session.get(server.url + '/some/redirect/') as resp:
                await resp.read()
    out = capsys.readouterr().out
    assert out.startswith("Request took ") and float(out.split()[-1]) >= 0


async def test_reference_example_trace_request_ctx(
    server_ssl: ssl.SSLContext, capsys: pytest.CaptureFixture[str]
) -> None:
    import ketch as aiohttp

    async def on_request_start(  # type: ignore[no-untyped-def]
            session, trace_config_ctx, params):
        print(trace_config_ctx.trace_request_ctx)

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    async with serve("http", server_ssl) as server:
        async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
            async with session.get('http://example.com/some/redirect/'.replace(
                    'http://example.com', server.url),
                    trace_request_ctx={'foo': 'bar'}) as resp:
                await resp.read()
    assert capsys.readouterr().out == "{'foo': 'bar'}\n"


def test_compatibility_module_matches_aiohttp_tracing() -> None:
    import ketch.tracing

    aiohttp_tracing_all = {
        "TraceConfig", "TraceRequestStartParams", "TraceRequestEndParams",
        "TraceRequestExceptionParams", "TraceConnectionQueuedStartParams",
        "TraceConnectionQueuedEndParams", "TraceConnectionCreateStartParams",
        "TraceConnectionCreateEndParams", "TraceConnectionReuseconnParams",
        "TraceDnsResolveHostStartParams", "TraceDnsResolveHostEndParams",
        "TraceDnsCacheHitParams", "TraceDnsCacheMissParams", "TraceRequestRedirectParams",
        "TraceRequestChunkSentParams", "TraceResponseChunkReceivedParams",
        "TraceRequestHeadersSentParams",
    }  # fmt: skip
    assert aiohttp_tracing_all <= set(ketch.tracing.__all__)
    assert ketch.tracing.__all__ == ketch_tracing.__all__  # one list, no drift
    for name in aiohttp_tracing_all:
        assert getattr(ketch.tracing, name) is getattr(ketch_tracing, name)
        assert getattr(ketch, name) is getattr(ketch_tracing, name)
    assert ketch.TimingTrace is ketch_tracing.TimingTrace


# -- free when unused ------------------------------------------------------------------

TRACING_SOURCE = ketch_tracing.__file__.rsplit("/", 1)[0]


@contextlib.contextmanager
def calls_into_ketch_tracing() -> Iterator[list[str]]:
    """Record every Python call into ketch_tracing's code (constructors, senders,
    factories, callbacks' signal sends) while the block runs. No patching: a profile
    hook sees each call, so any tracing work on the request path shows up here."""
    calls: list[str] = []

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(TRACING_SOURCE):
            calls.append(frame.f_code.co_qualname)

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


async def traffic(session: ketch.ClientSession, server: HTTPServer) -> None:
    """One of everything that has a signal: DNS, new and reused connections, a redirect,
    an upload and a streamed download."""
    url = server.url.replace("127.0.0.1", "localhost")

    async def body() -> AsyncIterator[bytes]:
        yield b"up"

    async with session.get(url + "/redirect") as resp:
        await resp.read()
    async with session.post(url + "/up", data=body()) as resp:
        await resp.read()
    async with session.get(url + "/stream") as resp:
        async for _ in resp.content.iter_chunked(7):
            pass


async def test_no_trace_configs_no_tracing_work(server_ssl: ssl.SSLContext,
                                                client_ssl: ssl.SSLContext) -> None:
    async with serve("https", server_ssl) as server, \
            session(client_ssl, family=socket.AF_INET) as s:
        with calls_into_ketch_tracing() as calls:
            await traffic(s, server)
    assert calls == []


async def test_the_call_counter_sees_tracing_work(server_ssl: ssl.SSLContext,
                                                  client_ssl: ssl.SSLContext) -> None:
    # The same traffic with one config that has no callbacks at all: the counter above
    # would see any trace objects made or signals sent, so its empty result means none.
    async with serve("https", server_ssl) as server, \
            session(client_ssl, ketch.TraceConfig(), family=socket.AF_INET) as s:
        with calls_into_ketch_tracing() as calls:
            await traffic(s, server)
    assert calls.count("TraceConfig.trace_config_ctx") == 3
    assert "Trace.__init__" in calls
    assert calls.count("Trace.__init__") == 3
    # Sends happened (none of them awaited a callback: the signals are empty).
    assert calls.count("_sender.<locals>.send") >= 20
    assert not [c for c in calls if c.startswith("Signal.")]


# -- the timing trace ------------------------------------------------------------------


class StepClock:
    """Each reading is one second after the last: every phase that spans at least one
    signal gets a positive duration, deterministically, with no sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def test_timing_trace_over_https(server_ssl: ssl.SSLContext,
                                       client_ssl: ssl.SSLContext) -> None:
    timing = ketch.TimingTrace(clock=StepClock())
    delivered: list[tuple[object, RequestTimings]] = []

    async def on_timings(session: Any, ctx: Any, timings: RequestTimings) -> None:
        delivered.append((ctx.trace_request_ctx, timings))

    timing.on_request_timings.append(on_timings)
    async with serve("https", server_ssl) as server, \
            session(client_ssl, timing, family=socket.AF_INET) as s:
        url = server.url.replace("127.0.0.1", "localhost")
        async with s.get(url + "/a", trace_request_ctx="fresh") as fresh:
            partial = timing.timings(fresh)
            await fresh.read()
        async with s.get(url + "/a", trace_request_ctx="reused") as reused:
            await reused.read()
        async with s.get(url + "/redirect", trace_request_ctx="redirected") as redirected:
            await redirected.read()
    assert partial is not None and not partial.is_complete and partial.download is None

    t = timing.timings(fresh)
    assert t is not None and t.is_complete
    assert (t.method, t.url, t.redirects, t.reused_connection) == ("GET", URL(url + "/a"), 0, False)
    assert t.dns > 0 and t.connect > 0 and t.tls > 0 and t.wait > 0
    assert t.download is not None and t.download > 0
    assert t.total is not None and t.ttfb < t.total
    assert t.redirect == 0 and t.queue == 0

    r = timing.timings(reused)
    assert r is not None and r.reused_connection
    assert (r.dns, r.connect, r.tls) == (0, 0, 0)

    d = timing.timings(redirected)
    assert d is not None and d.redirects == 1 and d.redirect > 0 and d.reused_connection
    assert d.url == URL(url + "/final")

    assert [(ctx, tm) for ctx, tm in delivered] == [
        ("fresh", t), ("reused", r), ("redirected", d)
    ]


async def test_timing_trace_plain_http_has_no_tls_and_a_dns_cache_hit(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    timing = ketch.TimingTrace(clock=StepClock())
    async with serve("http", server_ssl) as server, \
            session(client_ssl, timing, family=socket.AF_INET, force_close=True) as s:
        url = server.url.replace("127.0.0.1", "localhost") + "/a"
        responses = []
        for _ in range(2):
            async with s.get(url) as resp:
                await resp.read()
            responses.append(resp)
    first, second = (timing.timings(r) for r in responses)
    assert first is not None and second is not None
    assert first.tls == 0 and second.tls == 0
    assert first.dns > 0 and second.dns == 0  # the second name came from the cache
    assert first.connect > 0 and second.connect > 0
    assert not second.reused_connection


async def test_on_request_start_may_add_headers(server_ssl: ssl.SSLContext,
                                                client_ssl: ssl.SSLContext) -> None:
    # aiohttp documents TraceRequestStartParams.headers as the request's, "can be mutated".
    async def add_header(session: Any, ctx: Any, params: Any) -> None:
        params.headers["X-Trace-Id"] = "abc"

    config = ketch.TraceConfig()
    config.on_request_start.append(add_header)
    async with serve("http", server_ssl) as server, session(client_ssl, config) as s:
        async with s.get(server.url + "/redirect") as resp:
            await resp.read()
    assert [r.header("X-Trace-Id") for r in server.requests] == ["abc", "abc"]


@pytest.mark.parametrize(
    "verb", ["get", "post", "put", "patch", "delete", "head", "options", "request"]
)
async def test_every_verb_passes_trace_request_ctx(
    verb: str, server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    rec = Recorder()
    marker = object()
    async with serve("http", server_ssl) as server, session(client_ssl, rec) as s:
        url = server.url + "/a"
        call = s.request("PATCH", url, trace_request_ctx=marker) if verb == "request" \
            else getattr(s, verb)(url, trace_request_ctx=marker)
        async with call as resp:
            await resp.read()
    assert rec.events and all(ctx.trace_request_ctx is marker for _, _, ctx in rec.events)
