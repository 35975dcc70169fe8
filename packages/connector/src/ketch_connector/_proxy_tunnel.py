"""Tunnels through an HTTP proxy: ``CONNECT host:port`` (RFC 9110 §9.3.6).

The request head is serialized and the answer parsed by ketch_http1. Any 2xx answer turns
the connection into a tunnel (it has no body, RFC 9110 §9.3.6); the caller then runs TLS
with the origin through it. Any other answer is a :class:`ClientHttpProxyError` carrying
the proxy's status, reason and headers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import ketch_http1 as h1

from ._connection import ConnectionProtocol
from ._exceptions import ClientHttpProxyError, ClientProxyConnectionError
from ._key import ConnectionKey

__all__ = ["TunnelRequestInfo", "open_tunnel"]


@dataclass(frozen=True, slots=True)
class TunnelRequestInfo:
    """The ``request_info`` of a :class:`ClientHttpProxyError`: the CONNECT request.

    Attributes:
        url, real_url: the proxy's URL.
        method: ``"CONNECT"``.
        headers: the headers sent to the proxy (``Proxy-Authorization`` masked).
        target: the ``host:port`` the tunnel was asked for.
    """

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL
    target: str


class _TunnelAnswer:
    """Receives the proxy's answer to CONNECT and resolves once its head is parsed."""

    __slots__ = ("parser", "done", "extra")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.parser = h1.ResponseParser()
        self.parser.start_response("CONNECT")
        self.done: asyncio.Future[h1.Response] = loop.create_future()
        self.extra = b""

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            self.extra += data
            return
        try:
            events = self.parser.feed(data)
        except h1.HTTP1Error as exc:
            self.done.set_exception(exc)
            return
        for event in events:
            if isinstance(event, h1.Response):
                self.done.set_result(event)
            elif isinstance(event, h1.Data) and self.done.done():
                self.extra += event.data

    def eof_received(self) -> None:
        self.connection_lost(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.done.done():
            self.done.set_exception(
                ConnectionResetError("the proxy closed the connection before answering CONNECT")
            )


def _authority(key: ConnectionKey) -> str:
    host = f"[{key.host}]" if ":" in key.host else key.host
    return f"{host}:{key.port}"


async def open_tunnel(proto: ConnectionProtocol, key: ConnectionKey, proxy_key: ConnectionKey) -> None:
    """Ask the proxy behind *proto* for a tunnel to *key*'s origin.

    Args:
        proto: a connection to the proxy (TLS already running if the proxy is https).
        key: the request's key (origin, ``proxy_auth``, ``proxy_headers``).
        proxy_key: the proxy's own key, for connection errors.

    Raises:
        ClientHttpProxyError: the proxy answered with a status other than 2xx.
        ClientProxyConnectionError: the proxy broke the exchange (closed, invalid answer).
    """
    target = _authority(key)
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in key.proxy_headers or ():
        headers.add(name, value)
    headers.setdefault("Host", target)
    if key.proxy_auth is not None:
        headers["Proxy-Authorization"] = key.proxy_auth
    transport = proto.transport
    assert transport is not None
    answer = _TunnelAnswer(asyncio.get_running_loop())
    proto.receiver = answer
    try:
        transport.write(h1.serialize_head("CONNECT", target, headers.items()))
        try:
            response = await answer.done
        except (OSError, h1.HTTP1Error) as exc:
            os_error = exc if isinstance(exc, OSError) else OSError(str(exc))
            raise ClientProxyConnectionError(proxy_key, os_error) from exc
    finally:
        proto.receiver = None
    if not 200 <= response.status < 300:
        if "Proxy-Authorization" in headers:
            headers["Proxy-Authorization"] = "<hidden>"
        proxy_url = URL(key.proxy or "")
        info = TunnelRequestInfo(proxy_url, "CONNECT", CIMultiDictProxy(headers), proxy_url, target)
        raise ClientHttpProxyError(
            info, (), status=response.status, message=response.reason, headers=response.headers
        )
    extra = answer.extra + answer.parser.trailing_data()
    if extra:
        # The origin speaks only after our TLS ClientHello; bytes now are not from it.
        raise ClientProxyConnectionError(
            proxy_key,
            OSError(f"the proxy sent data after its CONNECT answer: {extra[:40]!r}"),
        )
