"""UnixConnector: HTTP (or anything) over a Unix domain socket."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Unpack

from ketch_tracing import Trace

from ._connection import ConnectionProtocol
from ._exceptions import UnixClientConnectorError
from ._key import ConnectionKey
from ._pool import BaseConnector, PoolOptions, peer_timeout
from ._tls import resolve_ssl, start_tls

__all__ = ["UnixConnector"]

# Seconds to wait for the server's close_notify when closing (as TCPConnector's default).
_SSL_SHUTDOWN_TIMEOUT = 0.1


class UnixConnector(BaseConnector):
    """Connections to one Unix socket, whatever the request's host.

    Args:
        path: the socket's file system path (or a Linux abstract name starting with NUL).
        **pool: :class:`BaseConnector`'s keywords (keepalive_timeout, force_close, limit,
            limit_per_host, enable_cleanup_closed, loop, timeout_ceil_threshold, clock).

    Requests keep their own host (for ``Host`` headers and pooling); keys with
    ``is_ssl`` get TLS over the socket, verified against the key's host.
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        path: str,
        **pool: Unpack[PoolOptions],
    ) -> None:
        super().__init__(**pool)
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
