"""UnixConnector: HTTP (or anything) over a Unix domain socket."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence

from ketch_tracing import Trace

from ._connection import ConnectionProtocol
from ._exceptions import UnixClientConnectorError
from ._key import ConnectionKey
from ._pool import _DEFAULT, BaseConnector, Clock, _Sentinel, peer_timeout
from ._tls import resolve_ssl, start_tls

__all__ = ["UnixConnector"]

# Seconds to wait for the server's close_notify when closing (as TCPConnector's default).
_SSL_SHUTDOWN_TIMEOUT = 0.1


class UnixConnector(BaseConnector):
    """Connections to one Unix socket, whatever the request's host.

    Args:
        path: the socket's file system path (or a Linux abstract name starting with NUL).
        loop: accepted for compatibility; the running loop is used.
        The rest as :class:`BaseConnector`.

    Requests keep their own host (for ``Host`` headers and pooling); keys with
    ``is_ssl`` get TLS over the socket, verified against the key's host.
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        path: str,
        *,
        keepalive_timeout: float | None | _Sentinel = _DEFAULT,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout, force_close=force_close, limit=limit,
            limit_per_host=limit_per_host, enable_cleanup_closed=enable_cleanup_closed,
            timeout_ceil_threshold=timeout_ceil_threshold, clock=clock,
        )
        self._path = path

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> ConnectionProtocol:
        async with peer_timeout(sock_connect, key):
            return await self._open_unix(key, traces)

    async def _open_unix(self, key: ConnectionKey, traces: Sequence[Trace]) -> ConnectionProtocol:
        loop = self._loop
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, self._path)
            _, proto = await loop.create_unix_connection(
                lambda: ConnectionProtocol(loop), sock=sock
            )
        except BaseException as exc:
            sock.close()
            if isinstance(exc, OSError):
                raise UnixClientConnectorError(self._path, key, exc) from exc
            raise
        proto.sock = sock
        if key.is_ssl:
            context, pin = resolve_ssl(key.ssl, True)
            try:
                await start_tls(
                    loop, proto, context, key.server_hostname or key.host, key, traces, pin,
                    _SSL_SHUTDOWN_TIMEOUT,
                )
            except BaseException:
                proto.close_transport()
                raise
        return proto
