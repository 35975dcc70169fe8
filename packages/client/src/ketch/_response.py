"""ClientResponse and RequestInfo, as aiohttp documents them."""

from __future__ import annotations

import asyncio
import json
import re
import traceback
import warnings
from collections.abc import Callable, Sequence
from http.cookies import CookieError, Morsel, SimpleCookie
from types import TracebackType
from typing import Any, NamedTuple

from multidict import CIMultiDictProxy, MultiDictProxy
from yarl import URL

import ketch_http1 as h1
from ketch_connector import ClientConnectionError, Connection

from ._exceptions import ClientResponseError, ContentTypeError
from ._handler import ResponseHandler
from ._helpers import (
    ContentDisposition,
    HttpVersion,
    HttpVersion11,
    http_version,
    normalize_charset,
    parse_content_disposition,
    parse_content_type,
)
from ._links import parse_links
from ._streams import StreamReader

__all__ = ["ClientResponse", "RequestInfo", "ResponseHandler", "default_charset_resolver"]

CharsetResolver = Callable[["ClientResponse", bytes], str]


class _RequestInfoFields(NamedTuple):
    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class RequestInfo(_RequestInfoFields):
    """What was sent: ``url``, ``method``, ``headers`` and ``real_url`` (with fragment).

    A named tuple, as aiohttp's; ``real_url`` defaults to ``url``.
    """

    __slots__ = ()
    __module__ = "ketch"

    def __new__(
        cls, url: URL, method: str, headers: CIMultiDictProxy[str], real_url: URL | None = None
    ) -> RequestInfo:
        return tuple.__new__(cls, (url, method, headers, url if real_url is None else real_url))


def default_charset_resolver(response: ClientResponse, body: bytes) -> str:
    """aiohttp's default ``fallback_charset_resolver``: UTF-8."""
    return "utf-8"


# Reference: "application/json or any extended form, e.g. application/vnd.custom-type+json".
_JSON_RE = re.compile(r"application/(?:[\w.+-]+\+)?json")
_CONNECTION_CLOSED = "Connection closed"
# Content-Type value -> encoding of JSON bodies sent with it (only values that passed
# json()'s default check; bounded).
_JSON_ENCODINGS: dict[str | None, str] = {}


class ClientResponse:
    """An HTTP response: status and headers at once, the body read on demand.

    Usable as ``async with`` (released on exit). The connection goes back to the pool
    once the body has been received in full; :meth:`release` or :meth:`close` before
    that closes it.

    Args:
        method, url: the request (``url`` may carry a fragment: see :attr:`real_url`).
        head: the parsed response head, or None until it arrives (then ``_start(head)``).
        content: the body stream.
        handler: the receiver holding the connection (None for a response without one).
        request_info: what was sent.
        loop: the event loop.
        traces: the request's traces.
        charset_resolver: ``fallback_charset_resolver`` of the session.
        history: earlier responses of the same request (redirects).
    """

    __module__ = "ketch"

    # Until set on the instance: a response is made per request, most keep these.
    history: tuple[ClientResponse, ...] = ()
    _body: bytes | None = None
    _released = False
    _closed = False
    _in_context = False
    _ctype: tuple[str, dict[str, str]] | None = None
    _cookies: SimpleCookie | None = None
    _links: MultiDictProxy[MultiDictProxy[str | URL]] | None = None
    _source_traceback: traceback.StackSummary | None = None
    _writer: asyncio.Future[bool] | None = None

    def __init__(
        self,
        method: str,
        url: URL,
        head: h1.Response | None,
        content: StreamReader,
        handler: ResponseHandler | None,
        request_info: RequestInfo,
        loop: asyncio.AbstractEventLoop,
        traces: Sequence[Any] = (),
        charset_resolver: CharsetResolver | None = None,
        history: tuple[ClientResponse, ...] = (),
    ) -> None:
        self.method = method
        self._real_url = url
        self._url = url.with_fragment(None) if url.raw_fragment else url
        if head is not None:
            self._start(head)
        self.content = content
        self._handler = handler
        self._request_info = request_info
        self._loop = loop
        self._traces = traces
        self._resolve_charset = charset_resolver or default_charset_resolver
        if history:
            self.history = history
        if loop.get_debug():
            self._source_traceback = traceback.extract_stack()

    def _start(self, head: h1.Response) -> None:
        """Take the status line and headers from *head* (the session makes the response
        while the server works on the request, and starts it once the head is here)."""
        self.status: int = head.status
        self.reason: str = head.reason
        version = head.version
        self.version: HttpVersion = (HttpVersion11 if version == (1, 1)
                                     else http_version(version))
        self._headers = head.headers
        self._raw_headers = head.raw_headers

    def _send_rest(self, writer: asyncio.Future[bool]) -> None:
        """The request body is still being sent (the server answered first): it goes on
        until :meth:`wait_for_close` sees it done, or :meth:`release`/:meth:`close` stop it."""
        self._writer = writer

    def _stop_sending(self) -> None:
        if self._writer is not None:
            self._writer = None
            if self._handler is not None:
                self._handler.stop_sending()

    def __repr__(self) -> str:
        reason = self.reason.encode("ascii", "backslashreplace").decode("ascii")
        return f"<ClientResponse({self._url}) [{self.status} {reason}]>"

    def __del__(self, _warnings: Any = warnings) -> None:
        handler = self.__dict__.get("_handler")
        if handler is None or self._loop.is_closed():
            return
        if self._writer is not None:  # dropped while its request body was still going out
            self._stop_sending()
        if handler.done:
            return
        handler.abort()
        if self._loop.get_debug():
            _warnings.warn(f"Unclosed response {self!r}", ResourceWarning, source=self)
            context: dict[str, Any] = {"client_response": self, "message": "Unclosed response"}
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)

    # -- what was received ---------------------------------------------------------------

    @property
    def url(self) -> URL:
        """The URL of the request, without fragment."""
        return self._url

    @property
    def real_url(self) -> URL:
        """The URL of the request, fragment included."""
        return self._real_url

    @property
    def host(self) -> str:
        """The host of the request URL."""
        assert self._url.host is not None
        return self._url.host

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers (UTF-8 with ``surrogateescape``)."""
        return self._headers

    @property
    def raw_headers(self) -> h1.RawHeaders:
        """The response headers as received: ``((name, value), ...)`` bytes pairs."""
        return self._raw_headers

    @property
    def request_info(self) -> RequestInfo:
        """What was sent for this response (url, method, headers, real_url)."""
        return self._request_info

    @property
    def ok(self) -> bool:
        """True when the status is under 400 (not a check for 200)."""
        return self.status < 400

    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        ctype = self._ctype
        if ctype is None:
            ctype = self._ctype = parse_content_type(self._headers.get("Content-Type"))
        return ctype

    @property
    def content_type(self) -> str:
        """The media type of Content-Type, lowercased (``application/octet-stream`` if none)."""
        return self._content_type_parts()[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, or None."""
        return self._content_type_parts()[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as a number, or None when absent or not a number."""
        value = self._headers.get("Content-Length")
        if value is None:
            return None
        value = value.strip()
        return int(value) if value.isdigit() and value.isascii() else None

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies set by this response's own ``Set-Cookie`` headers."""
        if self._cookies is None:
            self._cookies = _parse_set_cookies(self._headers.getall("Set-Cookie", ()))
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: SimpleCookie) -> None:
        self._cookies = cookies

    @property
    def content_disposition(self) -> ContentDisposition | None:
        """The Content-Disposition header (RFC 6266) parsed, or None when absent."""
        raw = self._headers.get("Content-Disposition")
        return None if raw is None else parse_content_disposition(raw)

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """The ``Link`` header (RFC 8288), keyed by ``rel``; each link has its ``url``."""
        if self._links is None:
            self._links = parse_links(self._headers.getall("Link", ()), self._url)
        return self._links

    @property
    def connection(self) -> Connection | None:
        """The connection, while the response still holds it."""
        return self._handler.connection if self._handler is not None else None

    @property
    def closed(self) -> bool:
        """True once the connection was released, closed, or handed back at the body's end."""
        return self._closed or self._handler is None or self._handler.done

    # -- the body ------------------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (kept, so later calls return it again).

        Raises:
            ClientPayloadError: the body could not be received in full or decoded.
            ClientConnectionError: the response was released before the body was read.
        """
        body = self._body
        if body is None:
            # Most small bodies are complete by now: taken without another coroutine.
            body = self.content._take_complete()
            if body is None:
                try:
                    body = await self.content.read()
                except BaseException:
                    self.close()
                    raise
            self._body = body
        return body

    def get_encoding(self) -> str:
        """The body's encoding: Content-Type's charset, UTF-8 for JSON, else the session's
        ``fallback_charset_resolver(response, body)``.

        Raises:
            RuntimeError: the charset must be guessed but the body has not been read.
        """
        ctype, params = self._content_type_parts()
        encoding = normalize_charset(params.get("charset"))
        if encoding is not None:
            return encoding
        main, _, sub = ctype.partition("/")
        # RFC 8259 §8.1: JSON is UTF-8; RFC 6839 §3.1: so are +json types (RDAP included).
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            return "utf-8"
        if self._body is None:
            raise RuntimeError("Cannot compute fallback encoding of a not yet read body")
        return self._resolve_charset(self, self._body)

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded with *encoding*, or :meth:`get_encoding`'s answer."""
        body = self._body
        if body is None:
            body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON (None for an empty body).

        Args:
            encoding: the text encoding (default: :meth:`get_encoding`).
            loads: the JSON decoder.
            content_type: the Content-Type required: ``application/json`` also accepts
                ``+json`` types; another value must match exactly; None skips the check.

        Raises:
            ContentTypeError: the Content-Type is not the one required.
        """
        body = self._body
        if body is None:
            body = await self.read()
        if (content_type == "application/json" and encoding is None
                and type(self) is ClientResponse):
            # The usual call: the answer for a Content-Type value is the same every time
            # (a subclass may decide otherwise, so it always asks).
            raw = self._headers.get("Content-Type")
            encoding = _JSON_ENCODINGS.get(raw)
            if encoding is None:
                self._check_json_type(content_type)
                encoding = self.get_encoding()
                if len(_JSON_ENCODINGS) < 256:
                    _JSON_ENCODINGS[raw] = encoding
        elif content_type:
            self._check_json_type(content_type)
        # Surrounding whitespace is JSON's own business; only decide "empty" here.
        if not body or body.isspace():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    def _check_json_type(self, content_type: str) -> None:
        if not self._is_expected(content_type):
            raw = self._headers.get("Content-Type", "").lower()
            raise ContentTypeError(
                self._request_info, self.history, status=self.status,
                message=f"Attempt to decode JSON with unexpected mimetype: {raw}",
                headers=self._headers,
            )

    def _is_expected(self, expected: str) -> bool:
        mtype = self.content_type
        if expected == "application/json":
            return mtype == expected or _JSON_RE.fullmatch(mtype) is not None
        expected = expected.lower()
        return mtype == expected or self._headers.get("Content-Type", "").lower() == expected

    # -- finishing -----------------------------------------------------------------------

    def raise_for_status(self) -> None:
        """Raise :class:`ClientResponseError` when the status is 400 or more.

        Outside ``async with`` the response is released first.
        """
        if self.status >= 400:
            if not self._in_context:
                self.release()
            raise ClientResponseError(
                self._request_info, self.history, status=self.status,
                message=self.reason, headers=self._headers,
            )

    def _notify_content(self) -> None:
        # Reads after release must fail loudly, never return a truncated body.
        if self.content.exception() is None:
            self.content.set_exception(ClientConnectionError(_CONNECTION_CLOSED))
        self._released = True

    def release(self) -> Any:
        """Finish with the response: the connection is pooled if the body was received in
        full, closed otherwise. Reading the stream afterwards raises."""
        if not self._released:
            self._notify_content()
        self._closed = True
        if self._writer is not None:
            self._stop_sending()
        handler = self._handler
        # A finished handler (the body complete, or failed) has nothing left to abort.
        if handler is not None and not handler.done:
            handler.abort()
        return _NOOP

    def close(self) -> None:
        """Close the connection under the response (never pooled)."""
        if not self._released:
            self._notify_content()
        self._closed = True
        self._stop_sending()
        if self._handler is not None:
            self._handler.abort()

    async def wait_for_close(self) -> None:
        """Wait until a request body still being sent (the server answered before reading
        it all) has gone out, then release the response."""
        writer = self._writer
        if writer is not None and not writer.done():
            await asyncio.wait((writer,))
        self.release()

    async def __aenter__(self) -> ClientResponse:
        self._in_context = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._in_context = False
        self.release()
        await self.wait_for_close()


class _noop:
    """What :meth:`ClientResponse.release` returns: awaitable, for old ``await resp.release()``."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


_NOOP = _noop()


def _parse_set_cookies(values: Sequence[str]) -> SimpleCookie:
    """Set-Cookie values into a SimpleCookie, leniently (RFC 6265 §5.2): a bad cookie is
    skipped, unknown attributes ignored, never turned into cookies of their own."""
    cookies = SimpleCookie()
    for value in values:
        pair, _, attrs = value.partition(";")
        name, eq, val = pair.partition("=")
        name = name.strip()
        if not eq or not name:
            continue
        morsel: Morsel[str] = Morsel()
        try:
            morsel.set(name, val.strip(), val.strip())
        except CookieError:
            continue
        for attr in attrs.split(";"):
            key, has_value, attr_value = attr.partition("=")
            key = key.strip().lower()
            if key in ("secure", "httponly"):
                morsel[key] = True
            elif has_value and key in Morsel._reserved:  # type: ignore[attr-defined]
                morsel[key] = attr_value.strip()
        dict.__setitem__(cookies, name, morsel)
    return cookies
