"""The pipeline of one request: what ``ClientSession`` does between ``get()`` and the
response (a mixin, so the session module stays the public surface).

Theory of operation. :meth:`RequestPipeline._request`:

1. normalizes the arguments once (URL and params, body payload, timeouts, traces);
2. per hop, builds a :class:`ClientRequest` with all headers in place (credentials and
   cookies re-derived for the hop's URL; see ``_hops``) and passes it down the chain to
   :meth:`RequestPipeline._send`, which serializes the head (CR/LF/NUL refused before a
   connection is taken), acquires a connection, writes (a body, see ``_sending``), and
   waits for the head;
3. stores the hop's ``Set-Cookie`` in the jar and follows redirects (see ``_redirects``);
4. applies ``raise_for_status`` and sends ``request_end`` (or ``request_exception``).

Everything that does not depend on the request is computed once per session (auto headers,
keyed by the version of ``session.headers`` so later changes are seen) or cached per
origin (Host values, connection keys) or per header set (the serialized header block).
With no trace configs no trace object exists and no signal is awaited.

A request that names only its method and URL, or those and a ``bytes`` or ``json=`` body
(most do), takes :meth:`_request_plain`, the same steps with the defaults already in
place; once the session has sent one like it, its head (and body) is written on an idle
connection before anything else is made, and its request and response objects are made
while the server works on it (conditions there).
"""

from __future__ import annotations

import asyncio
from ssl import SSLContext
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from multidict import CIMultiDict, MultiDict, getversion
from yarl import URL

import ketch_http1 as h1
from ketch_connector import (
    BaseConnector,
    ClientError,
    ClientOSError,
    Connection,
    ConnectionKey,
    ServerDisconnectedError,
)
from ketch_connector._tcp import _legacy_ssl
from ketch_cookies import AbstractCookieJar
from ketch_tracing import Trace, TraceConfig

from ._auth import BasicAuth
from ._handler import DeadlineWheel, ResponseHandler
from ._hops import HopBuilder, may_retry, strip_auth
from ._middlewares import ClientMiddlewareType, build_client_middlewares
from ._options import SENTINEL, Call, HopOptions, custom_options
from ._payload import JsonPayload
from ._proxy import ProxyInfo
from ._redirects import REDIRECT_STATUSES, redirect_hop
from ._request import (
    JOIN_LIMIT,
    BodyPayload,
    ClientRequest,
    compressor_for,
    is_small_body,
    to_payload,
)
from ._response import ClientResponse
from ._sending import early_answer, rest_beside, send_request, unless_until_eof
from ._timeouts import ClientTimeout, deadline_after

__all__ = ["RequestPipeline"]

# Deadlines nearer than this get their own timer; later ones are checked once a second by
# one timer per loop, firing up to a second late (aiohttp rounds such timeouts up to
# whole seconds too: ``ceil_threshold``). A timer per request costs more than the rest
# of the response handling for a small response.
_PRECISE_BELOW = 5.0

# What a remembered head is kept under (see _write_plain_head): the method as given, the URL
# and, with a body, its size (-1 - size for json=, whose Content-Type differs).
PlainKey = tuple[str, str | URL] | tuple[str, str | URL, int]


class RequestPipeline(HopBuilder):
    """The request flow of :class:`ClientSession` (its state is set by the session)."""

    _loop: asyncio.AbstractEventLoop
    _closed: bool
    _connector: BaseConnector
    _cookie_jar: AbstractCookieJar
    _json_serialize: Callable[[Any], str]
    _raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]]
    _timeout: ClientTimeout
    _requote_redirect_url: bool
    _trace_configs: list[TraceConfig]
    _fallback_charset_resolver: Callable[[ClientResponse, bytes], str]
    _middlewares: tuple[ClientMiddlewareType, ...]
    _response_class: type[ClientResponse]
    _proxy_active: bool
    _opts: HopOptions
    _wheel: DeadlineWheel
    _pooled_fast: bool
    _plain_ok: bool
    _plain_lane: bool
    _plain_heads: dict[PlainKey, tuple[bytes, ConnectionKey, int]]

    def _init_pipeline(self, opts: HopOptions) -> None:
        """Set up the per-session caches, with *opts* for requests that change nothing."""
        self._auto_version = -1
        self._auto = CIMultiDict()
        # (scheme, authority) -> (Host value, default ConnectionKey): per origin, once.
        self._origins = {}
        self._urls = {}
        self._head_cache = {}
        self._heads = {}
        self._wheel = DeadlineWheel(self._loop)
        self._opts = opts
        # A connector that overrides connect() gets every acquire through it.
        self._pooled_fast = type(self._connector).connect is BaseConnector.connect
        # Requests naming only a method and URL skip binding _request's arguments unless
        # a subclass overrides _request; they may be written before their objects are
        # made when nothing can change their head between sends but the session's headers
        # (checked by version) and cookies (sent only while the jar is empty): not with
        # a request_class of the user's, which may add headers of its own.
        self._plain_ok = type(self)._request is RequestPipeline._request
        self._plain_lane = (self._plain_ok and self._pooled_fast and not self._middlewares
                            and not self._trace_configs and self._default_auth is None
                            and not self._proxy_active and self._request_class is ClientRequest)
        self._plain_heads = {}

    # ------------------------------------------------------------------ sending one hop
    async def _send(self, req: ClientRequest, call: Call) -> ClientResponse:
        """The bottom of the middleware chain: send *req* on a connection, await the head."""
        opts = call.opts
        traces = opts.traces
        timeout = opts.timeout
        deadline = call.deadline
        wheel: DeadlineWheel | None = None
        if deadline is not None:
            left = deadline - self._loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("the total timeout expired before connecting")
            if left >= _PRECISE_BELOW:
                wheel = self._wheel  # a far deadline: checked by the session's tick
        conn = call.written
        if conn is not None:
            # Already written by _request_plain (its first hop): only the receiving is left.
            call.written = None
            head = b""
            plain = True
        else:
            conn, head, plain = await self._acquire(req, call)
            if deadline is not None and deadline - self._loop.time() < _PRECISE_BELOW:
                wheel = None  # connecting took the deadline near
        parser = h1.ResponseParser(opts.limits)
        parser.start_response(req.method, decompress=opts.auto_decompress)
        info = req.request_info
        handler = ResponseHandler(  # positional: made on every request
            self._loop, conn, parser, opts.read_bufsize, timeout.sock_read, deadline,
            info, traces or (), req.method, req.url, wheel)
        conn.set_receiver(handler)
        writer: asyncio.Future[bool] | None = None
        try:
            # Made before the head arrives: for a plain GET, while the server works on it.
            resp = self._response_class(  # positional, as ClientRequest (made per request)
                req.method, req.original_url, None, handler.body, handler, info, self._loop,
                traces or (), self._fallback_charset_resolver)
            if plain:
                handler.request_sent = True
                if req.body is not None:  # written with its head by _request_plain
                    writer = await rest_beside(conn, handler, parser, deadline)
            else:
                writer = await send_request(conn, req, head, traces, handler, parser, deadline)
            resp_head = await handler.head()
        except BaseException as exc:
            early = early_answer(exc, conn, handler)
            if early is None:
                raise
            resp_head = early
        if writer is not None:
            resp._send_rest(writer)
        resp._start(resp_head)
        if not opts.read_until_eof:
            resp.content = unless_until_eof(resp_head, handler, resp.content)
        return resp

    async def _acquire(self, req: ClientRequest, call: Call) -> tuple[Connection, bytes, bool]:
        """A connection for *req*, its serialized head, and whether the request is plain
        (no body, traces, ``Expect``): then the head is written already."""
        head = self._serialize_head(req)  # refuses CR/LF/NUL before taking a connection
        key = self._connection_key(req)
        if call.record is not None:  # the first hop only
            if not (req.chunked or req.expect100):
                # The lane sends a body raw after the head: only Content-Length framing.
                self._remember_plain_head(call.record, head, key)
            call.record = None
        traces = call.opts.traces
        conn = self._connector.connect_pooled(key) if self._pooled_fast and not traces else None
        if conn is None:
            conn = await self._connect(key, call)
        plain = req.body is None and not traces and not req.expect100 and not req.chunked
        if plain:
            # The plain GET: written before its receiver is built (nothing can arrive
            # before this task yields), so the server works on it meanwhile.
            try:
                conn.write(head)
            except BaseException:
                conn.close()
                raise
        return conn, head, plain

    async def _connect(self, key: ConnectionKey, call: Call) -> Connection:
        """A connection from the connector, within what is left of the total timeout."""
        opts = call.opts
        timeout = opts.timeout
        connect_timeout = timeout.connect or None  # as aiohttp, 0 means no limit
        if call.deadline is not None:
            left = call.deadline - self._loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("the total timeout expired before connecting")
            if connect_timeout is None or left < connect_timeout:
                connect_timeout = left
        try:
            return await self._connector.connect(
                key, opts.traces or (),
                timeout=connect_timeout, sock_connect=timeout.sock_connect or None,
            )
        except (ClientError, asyncio.TimeoutError):
            raise
        except OSError as exc:
            raise ClientOSError(*exc.args) from exc

    # ------------------------------------------------------------------ the request
    async def _request_plain(self, method: str, str_or_url: str | URL,
                             allow_redirects: bool = True, data: bytes | None = None,
                             json: Any = None) -> ClientResponse:
        """:meth:`_request` for a request that names only its method and URL (and maybe
        ``allow_redirects``, a ``bytes`` body or ``json``), as most do: the same steps with
        every other argument at its default, without binding thirty keyword arguments."""
        if self._closed:
            raise RuntimeError("Session is closed")
        if self._trace_configs:
            return await self._request(method, str_or_url, allow_redirects=allow_redirects,
                                       data=data, json=json)
        now = self._loop.time()  # the total timeout counts from here
        # The head first, when the session sent this request before: everything below
        # then happens while the server works on it (see _write_plain_head).
        written: Connection | None = None
        payload: BodyPayload | None = None
        key: PlainKey
        if json is not None:
            payload = JsonPayload(json, dumps=self._json_serialize)
            data = payload.body
            assert data is not None
            # The head differs by Content-Length, and by Content-Type from a bytes body's.
            key = (method, str_or_url, -len(data) - 1)
        elif data is not None:
            key = (method, str_or_url, len(data))
        else:
            key = (method, str_or_url)
        lane = (self._plain_lane and not len(self._cookie_jar)
                and (data is None or len(data) <= JOIN_LIMIT))
        if lane:
            written = self._write_plain_head(key, data)
        try:
            url = self._build_url(str_or_url)
            headers = self._request_headers(None, None)
            call = Call(self._skip_auto_headers, None, False, True, None, self._middlewares,
                        allow_redirects, 10, None, None, None, self._opts)
            if payload is None and data is not None:
                payload = to_payload(data)
        except BaseException:
            if written is not None:
                written.close()  # a request is on it and nobody will read the answer
            raise
        record: PlainKey | None = None
        if written is None and lane and url.raw_user is None and url.raw_password is None:
            # Heads are remembered only for URLs without credentials: a hit above needs
            # no such check.
            record = key
        timeout = self._timeout
        deadline = (deadline_after(now, timeout.total, timeout.ceil_threshold)
                    if timeout.total else None)  # None or 0: no limit, as aiohttp
        call.deadline = deadline
        call.written = written
        call.record = record
        return await self._run(call, method.upper(), url, headers, headers, payload, None, None,
                               None, self._raise_for_status)

    def _write_plain_head(self, key: PlainKey, data: bytes | None) -> Connection | None:
        """For a request that is only a method, a URL and maybe a body (bytes or JSON):
        when the session sent one like it before (same session headers, same kind and size
        of body) and a connection is idle, write the head that request had, and the body,
        at once and return the connection; the request and response objects are then made
        while the server works on it. Else None (the request takes the usual steps).

        The head is the same for every body of one kind and size: a body adds only its
        Content-Length and the fixed Content-Type of its kind."""
        entry = self._plain_heads.get(key)
        if entry is None or entry[2] != getversion(self._default_headers):  # type: ignore[arg-type]
            return None
        conn = self._connector.connect_pooled(entry[1])
        if conn is not None:
            try:
                if data:
                    # What the kernel does not take, the transport queues; _send writes
                    # it beside waiting for the answer (rest_beside).
                    conn.writelines((entry[0], data))
                else:
                    conn.write(entry[0])
            except BaseException:
                conn.close()
                raise
        return conn

    def _remember_plain_head(self, record: PlainKey, head: bytes,
                             key: ConnectionKey) -> None:
        """Keep the head a request of _request_plain was sent with (see above)."""
        heads = self._plain_heads
        if len(heads) >= 256:
            heads.clear()
        heads[record] = (head, key, getversion(self._default_headers))  # type: ignore[arg-type]

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        raise_for_status: None | bool | Callable[[ClientResponse], Awaitable[None]] = None,
        read_until_eof: bool = True,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: ClientTimeout | float | None = SENTINEL,
        ssl: Any = True,
        server_hostname: str | None = None,
        proxy_headers: Any = None,
        trace_request_ctx: Any = None,
        read_bufsize: int | None = None,
        auto_decompress: bool | None = None,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        max_headers: int | None = None,
        middlewares: Sequence[ClientMiddlewareType] | None = None,
        verify_ssl: bool | None = None,
        fingerprint: bytes | None = None,
        ssl_context: SSLContext | None = None,
    ) -> ClientResponse:
        """Send a request and return the response (after redirects).

        ``verify_ssl``, ``fingerprint`` and ``ssl_context`` are aiohttp's deprecated
        spellings of ``ssl`` (a DeprecationWarning each, folded into ``ssl``).

        Raises:
            RuntimeError: the session is closed.
            ValueError: ``data`` with ``json``; ``auth`` with credentials in the URL; CR, LF
                or NUL in the method, URL, a header or the version; ``ssl`` together
                with one of its deprecated spellings, or two of those.
            InvalidUrlClientError, NonHttpUrlClientError: the URL cannot be requested.
            TooManyRedirects: more than *max_redirects* redirects.
            asyncio.TimeoutError: the total timeout expired (ConnectionTimeoutError,
                SocketTimeoutError for the finer timeouts).
            ClientError: any other failure, as aiohttp documents it.
        """
        if self._closed:
            raise RuntimeError("Session is closed")
        if verify_ssl is not None or fingerprint is not None or ssl_context is not None:
            ssl = _legacy_ssl(True if ssl is None else ssl, verify_ssl is not False,
                              ssl_context, fingerprint)
        method = method.upper()
        if data is not None and json is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if auth is not None and not isinstance(auth, BasicAuth):
            raise TypeError(f"auth must be a BasicAuth, got {type(auth).__name__}")
        payload: BodyPayload | None = None
        if json is not None:  # serialized before the URL is checked, as aiohttp does
            payload = JsonPayload(json, dumps=self._json_serialize)
        url = self._build_url(str_or_url)
        if params:
            url = url.extend_query(params)
        if data is not None:
            payload = to_payload(data)
        encoding = compressor_for(compress) if compress else None

        if (timeout is SENTINEL and read_until_eof is True and read_bufsize is None
                and auto_decompress is None and max_line_size is None and max_field_size is None
                and max_headers is None and skip_auto_headers is None
                and not self._trace_configs):
            opts, skip, skip_extra = self._opts, self._skip_auto_headers, None
        else:
            opts, skip, skip_extra = self._prepare_call(
                timeout, trace_request_ctx, read_until_eof, read_bufsize, auto_decompress,
                max_line_size, max_field_size, max_headers, skip_auto_headers)
        traces = opts.traces
        if headers and not isinstance(headers, (MultiDict, CIMultiDict)):
            headers = CIMultiDict(headers)
        base_headers = first_headers = self._request_headers(headers, skip_extra)
        if traces:
            headers = base_headers = await self._start_traces(traces, method, url, base_headers)
            first_headers = self._request_headers(headers, skip_extra)
        call = Call(skip, encoding, expect100, True if ssl is None else ssl, server_hostname,
                    self._middlewares if middlewares is None else tuple(middlewares),
                    allow_redirects, max_redirects, proxy, proxy_auth, proxy_headers, opts)
        call.headers = headers
        call.skip_extra = skip_extra
        total = opts.timeout.total
        call.deadline = (
            None if not total  # None or 0: no limit, as aiohttp
            else deadline_after(self._loop.time(), total, opts.timeout.ceil_threshold))
        rfs = self._raise_for_status if raise_for_status is None else raise_for_status
        return await self._run(call, method, url, first_headers, base_headers, payload,
                               cookies, auth, chunked, rfs)

    def _prepare_call(
        self, timeout: ClientTimeout | float | None, trace_request_ctx: Any,
        read_until_eof: bool, read_bufsize: int | None, auto_decompress: bool | None,
        max_line_size: int | None, max_field_size: int | None, max_headers: int | None,
        skip_auto_headers: Iterable[str] | None,
    ) -> tuple[HopOptions, frozenset[str], frozenset[str] | None]:
        """A request's options normalised once: its ``HopOptions`` (the session's own
        when nothing differs), the auto headers to skip, and those beyond the session's
        (None when the request names none)."""
        opts = self._opts
        if timeout is not SENTINEL and timeout is not None:
            if not isinstance(timeout, ClientTimeout):
                timeout = ClientTimeout(total=timeout)
        else:
            timeout = self._timeout  # aiohttp 3.x: None also means the session's timeout
        traces: list[Trace] | None = None
        if self._trace_configs:
            traces = [Trace(self, tc, tc.trace_config_ctx(trace_request_ctx=trace_request_ctx))
                      for tc in self._trace_configs]
        if (timeout is not self._timeout or traces is not None or read_until_eof is not True
                or read_bufsize is not None or auto_decompress is not None
                or max_line_size is not None or max_field_size is not None
                or max_headers is not None):
            opts = custom_options(opts, timeout, read_until_eof, read_bufsize, auto_decompress,
                                  max_line_size, max_field_size, max_headers, traces)
        skip = self._skip_auto_headers
        skip_extra: frozenset[str] | None = None
        if skip_auto_headers is not None:
            skip = skip_extra = skip | frozenset(h.lower() for h in skip_auto_headers)
        return opts, skip, skip_extra

    @staticmethod
    async def _start_traces(traces: list[Trace], method: str, url: URL,
                            base_headers: CIMultiDict[str]) -> CIMultiDict[str]:
        """Send ``request_start``; returns the headers as the callbacks left them."""
        # What the request asked for, before this hop's Host, credentials and framing;
        # aiohttp lets on_request_start change it, for every hop.
        asked = base_headers.copy()
        asked.popall("Host", None)
        for t in traces:
            await t.send_request_start(method, url, asked)
        return asked

    async def _run(
        self, call: Call, method: str, url: URL, first_headers: CIMultiDict[str],
        base_headers: CIMultiDict[str], payload: BodyPayload | None, cookies: Any,
        auth: BasicAuth | None, chunked: bool | None,
        rfs: bool | Callable[[ClientResponse], Awaitable[None]],
    ) -> ClientResponse:
        """Follow the hops under the total timeout, check the status, send the end signals."""
        deadline = call.deadline
        traces = call.opts.traces
        try:
            # Connecting is bounded by what is left of the total (see _send) and the
            # response handler holds the deadline for the head and the body. Anything else
            # that may wait (middlewares, trace callbacks, bodies not sent in one write,
            # proxy lookups, a raise_for_status callable) runs under one timer for the
            # whole request.
            if deadline is None or not (
                call.chain or traces or self._proxy_active or call.proxy is not None
                or (payload is not None and not is_small_body(payload)) or callable(rfs)
            ):
                resp = await self._follow(call, method, url, first_headers, payload, cookies,
                                          auth, chunked)
            else:
                async with asyncio.timeout_at(deadline):
                    resp = await self._follow(call, method, url, first_headers, payload, cookies,
                                              auth, chunked)
            if rfs:
                try:
                    if callable(rfs):
                        await rfs(resp)
                    else:
                        resp.raise_for_status()
                except BaseException:
                    resp.release()
                    raise
        except BaseException as exc:
            if call.written is not None:  # failed before its first hop took it
                call.written.close()
            if payload is not None:
                payload.close()
            if traces:
                # The hop that failed, as aiohttp reports it (the first one if none began).
                hop_url = call.hop_url
                failed = (method, url) if hop_url is None else (call.hop_method, hop_url)
                for t in traces:
                    await t.send_request_exception(*failed, base_headers, exc)
            raise
        if payload is not None:
            writer = resp._writer
            if writer is None or writer.done():
                payload.close()
            else:  # still being sent beside the answer: closed once it is out
                writer.add_done_callback(lambda _: payload.close())
        if traces:
            # The final hop, as aiohttp reports it: its method and URL, credentials removed.
            end_url = resp.real_url
            if end_url.raw_user is not None or end_url.raw_password is not None:
                end_url = end_url.with_user(None)
            for t in traces:
                await t.send_request_end(resp.method, end_url, base_headers, resp)
        return resp

    def _chain(self, call: Call) -> Callable[[ClientRequest], Awaitable[ClientResponse]]:
        """The middleware chain around :meth:`_send` for *call*'s hops."""
        def bottom(r: ClientRequest) -> Awaitable[ClientResponse]:
            return self._send(r, call)
        return build_client_middlewares(bottom, call.chain)

    async def _follow(
        self, call: Call, method: str, url: URL, base_headers: CIMultiDict[str],
        payload: BodyPayload | None, cookies: Any, auth: BasicAuth | None, chunked: bool | None,
    ) -> ClientResponse:
        """Send hops until a response that is not a redirect to follow."""
        handler = self._chain(call) if call.chain else None
        history: list[ClientResponse] = []
        crossed = False  # a hop left the first origin: its credentials stay behind
        first_url = url
        jar = self._cookie_jar
        traces = call.opts.traces
        retried = False
        hop_headers: CIMultiDict[str] | None = base_headers
        drop_body = False
        while True:
            if hop_headers is None:
                hop_headers = self._later_hop_headers(call, drop_body, crossed)
            if url.raw_user is None and url.raw_password is None:
                hop_url, url_auth = url, None
            else:
                hop_url, url_auth = strip_auth(url)
            if traces:
                call.hop_method, call.hop_url = method, hop_url
            if url_auth is None and self._default_auth is None:
                hop_auth = None if crossed else auth  # the common case, without a call
            else:
                hop_auth = self._hop_auth(hop_url, url_auth, auth, crossed, first_url,
                                          not history)
            proxy_info: ProxyInfo | None = None
            if call.proxy is not None or self._proxy_active:
                proxy_info, hop_auth = await self._hop_proxy(call, hop_url, hop_auth,
                                                             hop_headers)
            req = self._make_request(call, method, hop_url, url, hop_headers, payload, cookies,
                                     hop_auth, jar, chunked, proxy_info)
            hop_headers = None
            try:
                resp = await (handler(req) if handler is not None else self._send(req, call))
            except (ServerDisconnectedError, ClientOSError) as exc:
                if retried or not may_retry(exc, method, payload):
                    raise
                retried = True
                continue
            set_cookies = resp.headers.getall("Set-Cookie", ())
            if set_cookies:
                jar.update_cookies_from_headers(set_cookies, resp.url)
            if resp.status not in REDIRECT_STATUSES or not call.allow_redirects:
                break
            hop = await redirect_hop(resp, history, method, url, hop_url, req.headers, payload,
                                     traces, call.max_redirects, self._requote_redirect_url)
            if hop is None:
                break
            if not hop.keep_body:
                payload = None
                chunked = None
                drop_body = True
            if not hop.same_origin:
                crossed = True
                auth = None
                cookies = None
            method = hop.method
            url = hop.url
            retried = False
        if history:
            resp.history = tuple(history)
        return resp

