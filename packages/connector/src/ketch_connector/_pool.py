"""Connectors: a keep-alive pool with limits, and the TCP transport under it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import defaultdict, deque
from collections.abc import Hashable, Sequence

from ketch_tracing import Trace

from ._connection import Connection, ConnectionProtocol
from ._exceptions import ClientConnectorDNSError, ClientConnectorError
from ._key import ConnectionKey

__all__ = ["BaseConnector", "TCPConnector"]


class BaseConnector:
    """A pool of keep-alive connections with a total and a per-host limit.

    Args:
        keepalive_timeout: seconds an idle pooled connection is kept.
        force_close: close every connection after its exchange (no keep-alive).
        limit: most connections open at once; 0 means no limit.
        limit_per_host: most connections to one key; 0 means no limit.
        enable_cleanup_closed: accepted for compatibility; closing is always awaited.
    """

    def __init__(
        self,
        *,
        keepalive_timeout: float | None = 15.0,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
    ) -> None:
        if force_close and keepalive_timeout is not None and keepalive_timeout != 15.0:
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        self._loop = asyncio.get_running_loop()
        self._keepalive_timeout = keepalive_timeout
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._idle: dict[Hashable, deque[tuple[ConnectionProtocol, float]]] = defaultdict(deque)
        self._acquired = 0
        self._acquired_per_key: dict[Hashable, int] = defaultdict(int)
        self._all: set[ConnectionProtocol] = set()
        self._closed = False

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def limit_per_host(self) -> int:
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        return self._force_close

    @property
    def closed(self) -> bool:
        return self._closed

    async def connect(
        self, key: ConnectionKey, traces: Sequence[Trace] = (), timeout: float | None = None
    ) -> Connection:
        """Return a ready connection for *key*: a pooled one if any, else a new one.

        Args:
            key: where to, and with what settings.
            traces: the request's traces; connection and DNS signals are sent to them.
            timeout: seconds allowed for creating a new connection (not pool waiting).
        """
        if self._closed:
            raise RuntimeError("Connector is closed.")
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            proto, expires = idle.pop()
            if proto.is_connected and not proto.has_eof and expires > now:
                self._acquired += 1
                self._acquired_per_key[key] += 1
                if traces:
                    for t in traces:
                        await t.send_connection_reuseconn()
                return Connection(self, key, proto)
            self._drop(proto)
        self._acquired += 1
        self._acquired_per_key[key] += 1
        try:
            if traces:
                for t in traces:
                    await t.send_connection_create_start()
            proto = await asyncio.wait_for(self._create_connection(key, traces), timeout)
            if traces:
                for t in traces:
                    await t.send_connection_create_end()
        except BaseException:
            self._give_back_slot(key)
            raise
        self._all.add(proto)
        return Connection(self, key, proto)

    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace]
    ) -> ConnectionProtocol:
        raise NotImplementedError  # pragma: no cover - every concrete connector overrides it

    def _give_back_slot(self, key: Hashable) -> None:
        self._acquired -= 1
        n = self._acquired_per_key[key] - 1
        if n:
            self._acquired_per_key[key] = n
        else:
            del self._acquired_per_key[key]

    def _drop(self, proto: ConnectionProtocol) -> None:
        self._all.discard(proto)
        if proto.transport is not None:
            proto.transport.close()

    def _release(self, key: Hashable, proto: ConnectionProtocol, should_close: bool = False) -> None:
        self._give_back_slot(key)
        if (
            should_close
            or self._force_close
            or self._closed
            or not proto.is_connected
            or proto.has_eof
            or proto.has_unread_data()
        ):
            self._drop(proto)
            return
        timeout = self._keepalive_timeout
        expires = time.monotonic() + timeout if timeout is not None else float("inf")
        self._idle[key].append((proto, expires))

    async def close(self) -> None:
        """Close every connection and wait until their transports are closed."""
        self._closed = True
        self._idle.clear()
        protos = list(self._all)
        self._all.clear()
        for proto in protos:
            if proto.transport is not None:
                proto.transport.close()
        if protos:
            await asyncio.gather(*(p.wait_closed() for p in protos))

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class TCPConnector(BaseConnector):
    """Connections over TCP (TLS comes in a later step of the connector's work).

    Args:
        family: address family for resolution (0: any).
        The rest as :class:`BaseConnector`.
    """

    def __init__(
        self,
        *,
        family: int = 0,
        keepalive_timeout: float | None = 15.0,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
            enable_cleanup_closed=enable_cleanup_closed,
        )
        self._family = family

    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace]
    ) -> ConnectionProtocol:
        loop = self._loop
        try:
            infos = await loop.getaddrinfo(
                key.host, key.port, family=self._family, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise ClientConnectorDNSError(key.host, key.port, key.ssl, exc) from exc
        last: OSError | None = None
        for family, type_, proto_no, _, addr in infos:
            try:
                _, proto = await loop.create_connection(
                    lambda: ConnectionProtocol(loop), host=str(addr[0]), port=int(addr[1]),
                    family=family, proto=proto_no,
                )
                sock = proto.transport.get_extra_info("socket") if proto.transport else None
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return proto
            except OSError as exc:
                last = exc
        assert last is not None
        raise ClientConnectorError(key.host, key.port, key.ssl, last) from last
