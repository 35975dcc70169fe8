"""ClientSession: the entry point users know from aiohttp."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import ketch_http1 as h1
from ketch_connector import BaseConnector, ConnectionKey, TCPConnector

from ._exceptions import InvalidURL
from ._response import ClientResponse, RequestInfo, ResponseHandler
from ._version import __version__

__all__ = ["ClientSession", "request"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} ketch/{__version__}"
JSONEncoder = Callable[[Any], str]


class ClientSession:
    """A session: shared connection pool, default headers and cookies for many requests.

    Args:
        base_url: prefix for relative request URLs.
        connector: the connection pool; one is created (and owned) when None.
        headers: default headers for every request (copied).
        json_serialize: the function turning ``json=`` values into text.
        connector_owner: close the connector when the session closes.
    """

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        headers: Mapping[str, str] | None = None,
        json_serialize: JSONEncoder = json.dumps,
        connector_owner: bool = True,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._base_url = URL(base_url) if base_url is not None else None
        if connector is None:
            connector = TCPConnector()
        self._connector = connector
        self._connector_owner = connector_owner
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self._json_serialize = json_serialize
        self._closed = False

    @property
    def connector(self) -> BaseConnector:
        return self._connector

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._default_headers

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close the session (and its connector when it owns it)."""
        if self._closed:
            return
        self._closed = True
        if self._connector_owner:
            await self._connector.close()

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """Send a request; use as ``async with`` or ``await``."""
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("GET", url, **kwargs))

    def post(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("POST", url, **kwargs))

    def put(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("PUT", url, **kwargs))

    def patch(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("PATCH", url, **kwargs))

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("DELETE", url, **kwargs))

    def head(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("HEAD", url, **kwargs))

    def options(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("OPTIONS", url, **kwargs))

    def _build_url(self, url: str | URL) -> URL:
        u = URL(url) if isinstance(url, str) else url
        if self._base_url is not None and not u.is_absolute():
            u = self._base_url.join(u)
        if u.scheme not in _DEFAULT_PORTS or not u.host:
            raise InvalidURL(u, "expected an absolute http:// or https:// URL")
        return u

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        data: bytes | str | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> ClientResponse:
        if self._closed:
            raise RuntimeError("Session is closed")
        if data is not None and json is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        url = self._build_url(str_or_url)
        method = method.upper()
        hdrs = CIMultiDict(self._default_headers)
        if headers:
            hdrs.update(headers)
        body = b""
        if json is not None:
            body = self._json_serialize(json).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(data, str):
            body = data.encode("utf-8")
            hdrs.setdefault("Content-Type", "text/plain; charset=utf-8")
        elif data is not None:
            body = bytes(data)
            hdrs.setdefault("Content-Type", "application/octet-stream")
        host = url.raw_host
        assert host is not None
        port = url.port or _DEFAULT_PORTS[url.scheme]
        if "Host" not in hdrs:
            hdrs["Host"] = h1.host_header(host, url.explicit_port, _DEFAULT_PORTS[url.scheme])
        hdrs.setdefault("Accept", "*/*")
        hdrs.setdefault("Accept-Encoding", "gzip, deflate")
        hdrs.setdefault("User-Agent", _USER_AGENT)
        if body or method in ("POST", "PUT", "PATCH"):
            hdrs["Content-Length"] = str(len(body))
        head = h1.serialize_head(method, url.raw_path_qs or "/", hdrs.items())

        key = ConnectionKey(host, port, url.scheme == "https")
        conn = await self._connector.connect(key)
        parser = h1.ResponseParser()
        parser.start_response(method, decompress=True)
        handler = ResponseHandler(self._loop, conn, parser)
        conn.set_receiver(handler)
        try:
            conn.write(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                conn.write(body)
            await conn.drain()
            resp_head = await handler.head()
        except BaseException:
            handler.abort()
            raise
        info = RequestInfo(url, method, CIMultiDictProxy(hdrs), url)
        stream = handler._stream
        assert stream is not None
        return ClientResponse(method, url, resp_head, stream, handler, info, self._loop)


class _RequestContextManager(Coroutine[Any, Any, ClientResponse]):
    """What ``session.get()`` returns: await it, or use it as ``async with``."""

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

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._coro
        return self._resp

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()


def request(method: str, url: str | URL, **kwargs: Any) -> Awaitable[ClientResponse]:
    """Send one request with a throwaway session (aiohttp's module-level ``request``)."""

    async def run() -> ClientResponse:
        async with ClientSession() as session:
            resp = await session.request(method, url, **kwargs)
            await resp.read()
            return resp

    return run()
