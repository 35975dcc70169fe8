"""ClientRequest: one request as middlewares see it, and how its bytes go on the wire.

Theory of operation. The session builds a :class:`ClientRequest` per hop with every header
already in place (session defaults, auto headers, Host, cookies, Authorization, body
framing), so a middleware sees and may change exactly what will be sent. The handler at
the bottom of the middleware chain serializes the head (refusing CR, LF and NUL anywhere,
before a connection is even acquired), writes it together with a small in-memory body in
one write, streams other bodies chunk by chunk, and honours ``Expect: 100-continue``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any, Protocol

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import ketch_http1 as h1

from ._exceptions import ClientPayloadError
from ._helpers import HttpVersion, HttpVersion11
from ._payload import compress_payload, make_payload
from ._response import RequestInfo

if TYPE_CHECKING:
    from ketch_connector import Connection
    from ketch_cookies import AbstractCookieJar
    from ketch_tracing import Trace

__all__ = [
    "ClientRequest",
    "BodyPayload",
    "compressor_for",
    "cookie_header",
    "is_small_body",
    "to_payload",
    "JOIN_LIMIT",
    "write_body",
]


_DEFAULT_PORTS = {"http": 80, "https": 443}
# Bodies in memory up to this size go out with the head in one gather write
# (Connection.writelines): one send call rather than two (which on loopback also runs the
# receiving TCP stack twice in this process: 1 MiB uploads measured 216 vs 303 µs CPU
# each), and no copy of the body. Larger ones, and streams, are written beside waiting
# for the answer (see _sending).
JOIN_LIMIT = 1 << 22


class BodyPayload(Protocol):
    """What the pipeline needs from a request body (``_payload.Payload`` satisfies it).

    Attributes:
        size: the length in bytes, or None when unknown (then the body goes chunked).
        is_replayable: whether the body can be sent again (307/308 redirects, retries).
        headers: the headers the body implies, Content-Type included.
        body: the whole body when it is in memory (the fast path), else None.
    """

    @property
    def content_type(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...
    @property
    def is_replayable(self) -> bool: ...
    @property
    def headers(self) -> CIMultiDict[str]: ...
    @property
    def body(self) -> bytes | None: ...
    def iter_chunks(self) -> AsyncIterator[bytes]: ...
    def close(self) -> None: ...


_ENCODINGS = frozenset({"deflate", "gzip"})


def compressor_for(compress: str | bool | None) -> str | None:
    """The Content-Encoding *compress* asks for (True means deflate), or None.

    Raises:
        ValueError: an encoding other than deflate or gzip.
    """
    if compress is None or compress is False:
        return None
    name = "deflate" if compress is True else str(compress).lower()
    if name not in _ENCODINGS:
        raise ValueError(f"compress={compress!r} is not supported: use True, 'deflate' or 'gzip'")
    return name


class ClientRequest:
    """One request as it will be sent; what client middlewares receive and may change.

    Attributes:
        method: the request method (upper case).
        url: the URL without fragment (query included).
        original_url: the URL as given, fragment included.
        headers: every header that will be sent (a mutable ``CIMultiDict``).
        auth: the ``BasicAuth`` applied (already in ``headers``), or None.
        version: the HTTP version, ``HttpVersion11`` by default.
        compress: the Content-Encoding used to compress the body, or None.
        chunked: whether the body is sent with chunked transfer coding.
        expect100: whether ``Expect: 100-continue`` is sent and awaited.
        ssl, server_hostname: TLS settings for the connection.
        proxy: the proxy URL for this hop (None for a direct connection).
        proxy_auth: the ``Proxy-Authorization`` value for that proxy, or None.
        proxy_headers: extra header pairs for that proxy, or None.
        session: the ClientSession sending it.

    The session passes the constructor's arguments positionally, in the order of its
    signature (by name, binding fifteen arguments costs more than the rest of making
    the request): a ``request_class`` that overrides ``__init__`` takes them the same
    way, or as ``*args, **kwargs`` passed on.
    """

    __module__ = "ketch"

    __slots__ = (
        "method", "url", "original_url", "headers", "auth", "version", "compress",
        "chunked", "expect100", "ssl", "server_hostname", "proxy", "proxy_auth",
        "proxy_headers", "session", "_body", "_info", "_body_headers", "_auto_chunked",
        "_skip", "_traces",
    )

    def __init__(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: BodyPayload | None = None,
        original_url: URL | None = None,
        auth: Any = None,
        version: HttpVersion = HttpVersion11,
        compress: str | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        ssl: Any = True,
        server_hostname: str | None = None,
        session: Any = None,
        skip_auto_headers: frozenset[str] = frozenset(),
        traces: list[Trace] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.original_url = original_url if original_url is not None else url
        self.headers = headers
        self.auth = auth
        self.version = version
        self.compress = compress
        self.chunked = bool(chunked)
        self.expect100 = expect100
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.proxy: URL | None = None
        self.proxy_auth: str | None = None
        self.proxy_headers: tuple[tuple[str, str], ...] | None = None
        self.session = session
        self._skip = skip_auto_headers
        self._traces = traces
        self._info: RequestInfo | None = None
        self._body: BodyPayload | None = None
        self._body_headers: list[str] = []
        self._auto_chunked = False
        if body is not None or method not in _NO_BODY_METHODS:
            self._set_body(body)  # a GET without a body gets no framing header to set

    def __repr__(self) -> str:
        return f"<ClientRequest({self.method} {self.url})>"

    # ---------------------------------------------------------------- body
    @property
    def body(self) -> BodyPayload | None:
        """The body payload, or None for a request without a body."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._set_body(to_payload(value))

    async def update_body(self, body: Any) -> None:
        """Replace the body (as ``data=`` accepts it) and its framing headers."""
        self._set_body(to_payload(body))

    def _set_body(self, payload: BodyPayload | None) -> None:
        hdrs = self.headers
        # A replaced body takes the framing headers derived from the old one with it.
        for name in self._body_headers:
            hdrs.popall(name, None)
        added = self._body_headers = []
        if self._auto_chunked:
            self.chunked = self._auto_chunked = False
        if payload is not None and self.compress is not None:
            if "Content-Encoding" in hdrs:
                raise ValueError(
                    "compress can not be set if Content-Encoding header is set "
                    f"(Content-Encoding: {hdrs['Content-Encoding']!r})"
                )
            payload = compress_payload(payload, self.compress)  # type: ignore[arg-type]
        self._body = payload
        if payload is None:
            if self.method not in _NO_BODY_METHODS and not self.chunked and "Content-Length" not in hdrs:
                hdrs["Content-Length"] = "0"
                added.append("Content-Length")
            return
        skip = self._skip
        for name, value in payload.headers.items():
            if name not in hdrs and name.lower() not in skip:
                hdrs[name] = value
                added.append(name)
        te = hdrs.get("Transfer-Encoding", "")
        if self.chunked or (payload.size is None and "Content-Length" not in hdrs):
            if "Content-Length" in hdrs:
                raise ValueError(
                    "chunked can not be set if Content-Length header is set "
                    f"(Content-Length: {hdrs['Content-Length']!r})"
                )
            if not self.chunked:
                self.chunked = self._auto_chunked = True
            if "chunked" not in te.lower():
                hdrs["Transfer-Encoding"] = f"{te}, chunked" if te else "chunked"
                if not te:
                    added.append("Transfer-Encoding")
        elif "chunked" in te.lower():
            self.chunked = True
        elif "Content-Length" not in hdrs:
            hdrs["Content-Length"] = str(payload.size)
            added.append("Content-Length")
        else:
            declared = declared_length(hdrs["Content-Length"])
            if payload.size is not None and declared != payload.size:
                # RFC 9112 §6.3: a wrong length desynchronizes the connection.
                raise ValueError(
                    f"Content-Length: {hdrs['Content-Length']!r} disagrees with the body's "
                    f"size ({payload.size} bytes)"
                )

    # ---------------------------------------------------------------- views
    @property
    def request_info(self) -> RequestInfo:
        """What was sent: URL, method, headers (a read-only copy) and the original URL."""
        info = self._info
        if info is None:
            # The named tuple's fields in order, without its __new__ (made per request).
            info = self._info = tuple.__new__(RequestInfo, (
                self.url, self.method, CIMultiDictProxy(self.headers), self.original_url))
        return info

    def is_ssl(self) -> bool:
        """Whether the origin is reached over TLS (an https URL)."""
        return self.url.scheme == "https"

    @property
    def host(self) -> str:
        """The URL's host as sent on the wire (IDNA-encoded, IPv6 without brackets)."""
        host = self.url.raw_host
        assert host is not None
        return host

    @property
    def port(self) -> int:
        """The URL's port, or the scheme's default port (80 for http, 443 for https)."""
        return self.url.port or _DEFAULT_PORTS.get(self.url.scheme, 80)

    def serialize_head(self) -> bytes:
        """The request line and headers as bytes.

        Raises:
            ValueError: CR, LF or NUL in the method, target, a header name or value, or an
                unsupported version; nothing has been sent.
        """
        return h1.serialize_head(self.method, self.request_target(), self.headers.items(),
                                 self.version)

    def request_target(self) -> str:
        """The request-target: origin form, or absolute form through a forward proxy."""
        self._info = None  # a middleware may have changed the request since it was viewed
        if self.proxy is not None and self.url.scheme == "http":
            # RFC 9112 §3.2.2: absolute-form when talking to a forward proxy.
            return str(self.url.with_fragment(None))
        return self.url.raw_path_qs or "/"


_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "CONNECT", "TRACE"})


def declared_length(value: str) -> int:
    """A Content-Length value as a byte count.

    Raises:
        ValueError: not a non-negative decimal integer (RFC 9110 §8.6).
    """
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"Content-Length must be a non-negative integer, got {value!r}")
    return int(value)


def is_small_body(payload: BodyPayload) -> bool:
    """Whether the body is in memory and small enough to go out with the head in one write."""
    body = payload.body
    return body is not None and len(body) <= JOIN_LIMIT


def to_payload(data: Any) -> BodyPayload | None:
    """The payload for a ``data=`` value (None for no body), via the bodies seam."""
    if data is None:
        return None
    payload: BodyPayload = make_payload(data)
    return payload


async def write_body(
    conn: Connection,
    req: ClientRequest,
    head: bytes,
    traces: list[Trace] | None,
    continue_waiter: Callable[[], Awaitable[bool]] | None = None,
    mark_sent: Callable[[], None] = lambda: None,
) -> bool:
    """Write *head* and the body of *req* on *conn*.

    Args:
        conn: the connection.
        req: the request (its body and framing).
        head: the serialized head.
        traces: the request's traces, or None.
        continue_waiter: with ``Expect: 100-continue``, awaited after the head; it returns
            True when the server said 100 Continue, False when a final response came first
            (then the body is not sent).
        mark_sent: called as soon as the last byte of the request is handed to the
            transport (before trace callbacks, during which the response may complete).

    Returns:
        True when the whole request went out; False when the server answered before the
        body was sent (the connection must then not carry another request).

    Raises:
        ClientPayloadError: the body produced more or fewer bytes than its declared size.
    """
    payload = req._body
    body = payload.body if payload is not None else None
    chunked = req.chunked
    if continue_waiter is None and body is not None and len(body) <= JOIN_LIMIT:
        if chunked:
            conn.write(head + h1.encode_chunk(body) + h1.encode_last_chunk())
        else:
            conn.writelines((head, body))
        mark_sent()
        if traces:
            await _headers_sent(req, traces)
            if body:
                for t in traces:
                    await t.send_request_chunk_sent(req.method, req.url, body)
        return True
    conn.write(head)
    if payload is None:
        mark_sent()
    if traces:
        await _headers_sent(req, traces)
    # RFC 9110 §10.1.1: with Expect: 100-continue the body waits for the 100; a final
    # status first means the server does not want it.
    if continue_waiter is not None and not await continue_waiter():
        return payload is None
    if payload is None:
        return True
    if body is not None and not chunked:
        conn.write(body)
        mark_sent()
        await conn.flush()
        if traces and body:
            for t in traces:
                await t.send_request_chunk_sent(req.method, req.url, body)
        return True
    await _write_stream(conn, req, payload, traces, mark_sent)
    return True


async def _headers_sent(req: ClientRequest, traces: list[Trace]) -> None:
    for t in traces:
        await t.send_request_headers(req.method, req.url, req.headers)


async def _write_stream(
    conn: Connection, req: ClientRequest, payload: BodyPayload, traces: list[Trace] | None,
    mark_sent: Callable[[], None],
) -> None:
    chunked = req.chunked
    # Without chunked coding the body ends where the Content-Length sent says: a byte
    # more would be read as the start of another request (RFC 9112 §6.3, §11.2).
    declared = None if chunked else declared_length(req.headers.get("Content-Length", "0"))
    sent = 0
    async for chunk in payload.iter_chunks():
        if not chunk:
            continue
        sent += len(chunk)
        if declared is not None and sent > declared:
            raise ClientPayloadError(
                f"request body is longer than its Content-Length ({declared} bytes): "
                f"{sent} bytes or more produced; the rest was not sent"
            )
        conn.write(h1.encode_chunk(chunk) if chunked else chunk)
        if sent == declared:
            mark_sent()  # the body is complete: any further byte would be an error
        await conn.drain()
        if traces:
            for t in traces:
                await t.send_request_chunk_sent(req.method, req.url, chunk)
    if chunked:
        conn.write(h1.encode_last_chunk())
        mark_sent()
    elif sent != declared:
        raise ClientPayloadError(
            f"request body produced {sent} bytes but its Content-Length is {declared}"
        )
    else:
        mark_sent()  # also when the body was empty
    await conn.flush()


def cookie_header(jar: AbstractCookieJar, url: URL, cookies: Any) -> str:
    """The Cookie value: the jar's cookies for *url*, then the request's own (which win)."""
    pairs: dict[str, str] = {}
    if len(jar):
        for name, morsel in jar.filter_cookies(url).items():
            pairs[name] = morsel.coded_value
    if cookies:
        quote = jar.quote_cookie
        items = cookies.items() if isinstance(cookies, (Mapping, BaseCookie)) else cookies
        for name, value in items:
            if isinstance(value, Morsel):
                pairs[name] = value.coded_value if quote else value.value
            elif quote:
                tmp: SimpleCookie = SimpleCookie()
                tmp[name] = value
                pairs[name] = tmp[name].coded_value
            else:
                pairs[name] = str(value)
    return "; ".join(f"{k}={v}" for k, v in pairs.items())
