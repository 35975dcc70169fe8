"""ClientSession: aiohttp's entry point (the request flow itself is in ``_pipeline``).

``session.get(url)`` returns a :class:`_RequestContextManager`: await it for the response,
or use it as ``async with`` to release the response at the end of the block.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as _json
import sys
import traceback
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Sequence
from types import TracebackType
from typing import Any

from multidict import CIMultiDict
from yarl import URL

import ketch_http1 as h1
from ketch_connector import BaseConnector, TCPConnector
from ketch_cookies import AbstractCookieJar, CookieJar
from ketch_tracing import TraceConfig

from ._auth import BasicAuth
from ._helpers import HttpVersion, HttpVersion11
from ._middlewares import ClientMiddlewareType
from ._options import SENTINEL, HopOptions
from ._pipeline import RequestPipeline
from ._proxy import ProxySettings
from ._request import ClientRequest
from ._response import ClientResponse
from ._timeouts import DEFAULT_TIMEOUT, ClientTimeout

__all__ = ["ClientSession", "request"]

JSONEncoder = Callable[[Any], str]
CharsetResolver = Callable[[ClientResponse, bytes], str]


def _utf8(resp: ClientResponse, body: bytes) -> str:
    return "utf-8"


def _checked_base_url(base_url: str | URL | None) -> URL | None:
    """``base_url`` as a URL, checked as aiohttp checks it.

    Raises:
        ValueError: it is not absolute, or its path does not end with '/'.
    """
    if base_url is None:
        return None
    url = URL(base_url)
    if not url.absolute:
        raise ValueError(f"base_url must be an absolute URL, got {str(base_url)!r}")
    if not url.path.endswith("/"):
        # As aiohttp: joining "users" onto ".../api" would drop "api" (RFC 3986 §5.2).
        raise ValueError(f"base_url must have a trailing '/', got {str(base_url)!r}")
    return url


def _checked_timeout(timeout: Any) -> ClientTimeout:
    """A session's ``timeout`` argument: the default for None (as aiohttp 3.x).

    Raises:
        ValueError: it is neither None nor a :class:`ClientTimeout`.
    """
    if timeout is SENTINEL or timeout is None:
        return DEFAULT_TIMEOUT
    if not isinstance(timeout, ClientTimeout):
        raise ValueError(
            f"timeout parameter cannot be of {type(timeout).__name__} type ({timeout!r}), "
            "please use 'timeout=ClientTimeout(...)'"
        )
    return timeout


class ClientSession(RequestPipeline):
    """A session: connection pool, cookie jar and defaults shared by many requests.

    Args:
        base_url: prefix for relative request URLs (absolute, its path ending in "/";
            resolved with RFC 3986 rules).
        connector: the connection pool; a ``TCPConnector`` is created (and owned) if None.
        cookies: cookies to put in the jar at start.
        headers: default headers for every request (copied into ``session.headers``).
        proxy, proxy_auth: the default proxy and its credentials.
        proxy_headers: default extra headers for the proxy (a ketch addition).
        skip_auto_headers: header names not generated automatically (User-Agent, ...).
        auth: default ``BasicAuth`` for requests to the base URL's origin (or, without a
            base URL, to the origin of each request's first hop).
        json_serialize: turns ``json=`` values into text.
        version: the HTTP version sent (``HttpVersion11``).
        cookie_jar: the jar; a ``CookieJar`` when None.
        connector_owner: close the connector when the session closes.
        raise_for_status: True, or an async callable ``f(response)``, checks every response.
        timeout: a :class:`ClientTimeout` (default, also for None: 300 s total, 30 s
            socket connect). A field of 0 means no limit, as with aiohttp.
        auto_decompress: decode gzip/deflate/br/zstd response bodies.
        trust_env: take proxies from the environment and credentials from ``.netrc``.
        requote_redirect_url: re-quote ``Location`` URLs.
        trace_configs: ``TraceConfig`` objects whose signals every request sends.
        read_bufsize: the response stream's buffer limit in bytes.
        max_line_size, max_field_size, max_headers: limits for parsing response heads.
        fallback_charset_resolver: ``f(response, body) -> encoding`` used by ``text()`` when
            the Content-Type names no charset.
        middlewares: client middlewares wrapped around every hop.
        request_class, response_class: subclasses of :class:`ClientRequest` and
            :class:`ClientResponse` to build requests and responses with.
    """

    __module__ = "ketch"

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: JSONEncoder = _json.dumps,
        version: HttpVersion = HttpVersion11,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] = False,
        timeout: ClientTimeout | None = SENTINEL,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: list[TraceConfig] | None = None,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: CharsetResolver = _utf8,
        middlewares: Sequence[ClientMiddlewareType] = (),
        request_class: type[ClientRequest] = ClientRequest,
        response_class: type[ClientResponse] = ClientResponse,
        proxy_headers: Any = None,
    ) -> None:
        self._closed = True  # until fully built, so __del__ never warns about a half-made one
        self._loop = asyncio.get_running_loop()
        self._source_traceback = (
            traceback.extract_stack(sys._getframe(1)) if self._loop.get_debug() else None
        )
        self._base_url = _checked_base_url(base_url)
        if auth is not None and not isinstance(auth, BasicAuth):
            raise TypeError(f"auth must be a BasicAuth, got {type(auth).__name__}")
        timeout = _checked_timeout(timeout)
        self._connector = connector if connector is not None else TCPConnector()
        self._connector_owner = connector_owner
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self._skip_auto_headers = frozenset(h.lower() for h in skip_auto_headers or ())
        self._default_auth = auth
        self._json_serialize = json_serialize
        self._version = version
        self._raise_for_status = raise_for_status
        self._timeout = timeout
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._requote_redirect_url = requote_redirect_url
        self._trace_configs = list(trace_configs or ())
        for tc in self._trace_configs:
            tc.freeze()
        self._fallback_charset_resolver = fallback_charset_resolver
        self._middlewares = tuple(middlewares)
        self._request_class = request_class
        self._response_class = response_class
        self._proxy = ProxySettings(proxy, proxy_auth, proxy_headers, trust_env)
        self._proxy_active = proxy is not None or trust_env
        limits = h1.Limits(max_line_size=max_line_size, max_field_size=max_field_size,
                           max_headers=max_headers)
        self._init_pipeline(HopOptions(timeout=timeout, read_until_eof=True,
                                       auto_decompress=auto_decompress,
                                       read_bufsize=read_bufsize, limits=limits, traces=None))
        self._closed = False

    # ------------------------------------------------------------------ properties
    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (or the connector is closed)."""
        return self._closed or self._connector.closed

    @property
    def connector(self) -> BaseConnector:
        """The connector the session's requests take their connections from."""
        return self._connector

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The cookie jar that stores and sends the session's cookies."""
        return self._cookie_jar

    @property
    def headers(self) -> CIMultiDict[str]:
        """The default headers (a copy of what was passed; changes apply to later requests)."""
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[str]:
        """Lower-cased names of the automatic headers the session never adds."""
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """The default ``BasicAuth`` (sent to the base URL's origin, else the first hop's)."""
        return self._default_auth

    @property
    def timeout(self) -> ClientTimeout:
        """The session's default :class:`ClientTimeout`."""
        return self._timeout

    @property
    def version(self) -> HttpVersion:
        """The HTTP version every request is sent with."""
        return self._version

    @property
    def json_serialize(self) -> JSONEncoder:
        """The function that turns ``json=`` values into text."""
        return self._json_serialize

    @property
    def connector_owner(self) -> bool:
        """Whether closing the session closes its connector."""
        return self._connector_owner

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        """True, False, or the async callable that checks every response."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether response bodies are decoded by their Content-Encoding."""
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        """Whether proxies come from the environment and credentials from ``.netrc``."""
        return self._trust_env

    @property
    def requote_redirect_url(self) -> bool:
        """Whether ``Location`` URLs are re-quoted before they are followed."""
        return self._requote_redirect_url

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The ``TraceConfig`` objects whose signals every request sends."""
        return self._trace_configs

    @property
    def middlewares(self) -> tuple[ClientMiddlewareType, ...]:
        """The client middlewares wrapped around every hop."""
        return self._middlewares

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the session was created in."""
        return self._loop

    # ------------------------------------------------------------------ lifecycle
    async def close(self) -> None:
        """Close the session, and its connector when the session owns it."""
        if self._closed:
            return
        self._closed = True
        if self._connector_owner:
            await self._connector.close()

    def detach(self) -> None:
        """Forget the connector without closing it (the session counts as closed)."""
        self._closed = True
        self._connector_owner = False

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self, _warnings: Any = warnings) -> None:
        if getattr(self, "_closed", True):
            return
        where = ""
        if self._source_traceback is not None:
            where = "; created at (most recent call last):\n" + "".join(
                traceback.format_list(self._source_traceback)
            )
        _warnings.warn(f"Unclosed client session {self!r}{where}", ResourceWarning, source=self)
        context: dict[str, Any] = {"client_session": self, "message": "Unclosed client session"}
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            self._loop.call_exception_handler(context)

    # ------------------------------------------------------------------ verbs
    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """Send a request; use as ``async with`` or ``await`` (see :meth:`_request`)."""
        if not kwargs and self._plain_ok:
            return _RequestContextManager(self._request_plain(method, url))
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> _RequestContextManager:
        """GET *url*; keyword arguments as :meth:`request`."""
        if not kwargs and self._plain_ok:
            return _RequestContextManager(self._request_plain("GET", url, allow_redirects))
        return _RequestContextManager(
            self._request("GET", url, allow_redirects=allow_redirects, **kwargs))

    def options(self, url: str | URL, *, allow_redirects: bool = True, **kwargs: Any) -> _RequestContextManager:
        """OPTIONS *url*; keyword arguments as :meth:`request`."""
        if not kwargs and self._plain_ok:
            return _RequestContextManager(self._request_plain("OPTIONS", url, allow_redirects))
        return _RequestContextManager(
            self._request("OPTIONS", url, allow_redirects=allow_redirects, **kwargs))

    def head(self, url: str | URL, *, allow_redirects: bool = False, **kwargs: Any) -> _RequestContextManager:
        """HEAD *url* (redirects not followed by default, as in aiohttp)."""
        if not kwargs and self._plain_ok:
            return _RequestContextManager(self._request_plain("HEAD", url, allow_redirects))
        return _RequestContextManager(
            self._request("HEAD", url, allow_redirects=allow_redirects, **kwargs))

    def post(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """POST *url* with *data*; keyword arguments as :meth:`request`."""
        return self._with_body("POST", url, data, kwargs)

    def put(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """PUT *url* with *data*; keyword arguments as :meth:`request`."""
        return self._with_body("PUT", url, data, kwargs)

    def patch(self, url: str | URL, *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        """PATCH *url* with *data*; keyword arguments as :meth:`request`."""
        return self._with_body("PATCH", url, data, kwargs)

    def _with_body(self, method: str, url: str | URL, data: Any,
                   kwargs: dict[str, Any]) -> _RequestContextManager:
        """post/put/patch: the URL-only path for a ``bytes`` body or ``json=`` alone."""
        if self._plain_ok and (data is None or type(data) is bytes) and (
                not kwargs or (data is None and len(kwargs) == 1 and "json" in kwargs)):
            return _RequestContextManager(
                self._request_plain(method, url, True, data, kwargs.get("json")))
        return _RequestContextManager(self._request(method, url, data=data, **kwargs))

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """DELETE *url*; keyword arguments as :meth:`request`."""
        if not kwargs and self._plain_ok:
            return _RequestContextManager(self._request_plain("DELETE", url))
        return _RequestContextManager(self._request("DELETE", url, **kwargs))



class _RequestContextManager(Coroutine[Any, Any, ClientResponse]):
    """What ``session.get()`` returns: ``await`` it, or use it as ``async with``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse]) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None

    def send(self, arg: Any) -> Any:
        return self._coro.send(arg)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()

    def __iter__(self) -> Generator[Any, None, ClientResponse]:
        return self.__await__()

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._coro
        return self._resp

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()


class _SessionRequestContextManager:
    """What ``ketch.request()`` returns: a response whose throwaway session closes with it."""

    __slots__ = ("_coro", "_session", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse], session: ClientSession) -> None:
        self._coro = coro
        self._session = session
        self._resp: ClientResponse | None = None

    async def __aenter__(self) -> ClientResponse:
        try:
            self._resp = await self._coro
        except BaseException:
            await self._session.close()
            raise
        return self._resp

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()
        await self._session.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._read_all().__await__()

    async def _read_all(self) -> ClientResponse:
        async with self as resp:
            await resp.read()
        return resp


def request(
    method: str,
    url: str | URL,
    *,
    connector: BaseConnector | None = None,
    version: HttpVersion = HttpVersion11,
    cookies: Any = None,
    headers: Any = None,
    skip_auto_headers: Iterable[str] | None = None,
    auth: BasicAuth | None = None,
    timeout: ClientTimeout = SENTINEL,
    read_bufsize: int | None = None,
    max_line_size: int = 8190,
    max_field_size: int = 8190,
    max_headers: int = 128,
    middlewares: Sequence[ClientMiddlewareType] = (),
    **kwargs: Any,
) -> _SessionRequestContextManager:
    """Send one request with a session made for it (aiohttp's module-level ``request``).

    Use as ``async with ketch.request("GET", url) as resp:`` (the session closes when the
    block ends) or ``resp = await ketch.request(...)`` (the body is read first).
    Session arguments are those listed; the rest go to :meth:`ClientSession.request`.
    With *connector* given, the session does not close it.
    """
    session = ClientSession(
        connector=connector, connector_owner=connector is None, version=version,
        cookies=cookies, headers=headers, skip_auto_headers=skip_auto_headers, auth=auth,
        timeout=timeout, read_bufsize=read_bufsize if read_bufsize is not None else 2**16,
        max_line_size=max_line_size, max_field_size=max_field_size, max_headers=max_headers,
        middlewares=middlewares,
    )
    return _SessionRequestContextManager(session._request(method, url, **kwargs), session)
