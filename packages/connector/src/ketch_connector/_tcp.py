"""TCPConnector: connections over TCP (placeholder body replaced in the next commits)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from ketch_tracing import Trace

from ._connection import ConnectionProtocol
from ._exceptions import ClientConnectorDNSError, ClientConnectorError
from ._key import ConnectionKey
from ._pool import BaseConnector
from ._tls import resolve_ssl, start_tls

__all__ = ["TCPConnector"]


class TCPConnector(BaseConnector):
    """Connections over TCP.

    Args:
        family: address family for resolution (0: any).
        The rest as :class:`BaseConnector`.
    """

    def __init__(self, *, family: int = 0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
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
            raise ClientConnectorDNSError(key, exc) from exc
        last: OSError | None = None
        for family, _, proto_no, _, addr in infos:
            try:
                _, proto = await loop.create_connection(
                    lambda: ConnectionProtocol(loop), host=str(addr[0]), port=int(addr[1]),
                    family=family, proto=proto_no,
                )
                if key.is_ssl:
                    ctx, pin = resolve_ssl(key.ssl, True)
                    await start_tls(loop, proto, ctx, key.server_hostname or key.host, key, traces, pin)
                return proto
            except OSError as exc:
                last = exc
        assert last is not None
        raise ClientConnectorError(key, last) from last
