"""NamedPipeConnector: HTTP over a Windows named pipe (Proactor event loop only)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Unpack

from ketch_tracing import Trace

from ._connection import ConnectionProtocol
from ._exceptions import ClientConnectorError
from ._key import ConnectionKey
from ._pool import BaseConnector, PoolOptions, peer_timeout

__all__ = ["NamedPipeConnector"]


class NamedPipeConnector(BaseConnector):
    """Connections to one Windows named pipe, e.g. ``r"\\\\.\\pipe\\<name>"``.

    Args:
        path: the pipe's name.
        **pool: :class:`BaseConnector`'s keywords (keepalive_timeout, force_close, limit,
            limit_per_host, enable_cleanup_closed, loop, timeout_ceil_threshold, clock).

    Raises:
        RuntimeError: the running event loop is not a Windows ``ProactorEventLoop`` (only
            it can open named pipes).
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        path: str,
        **pool: Unpack[PoolOptions],
    ) -> None:
        running = asyncio.get_running_loop()
        if not hasattr(running, "create_pipe_connection"):
            raise RuntimeError(
                "NamedPipeConnector needs the Windows ProactorEventLoop (named pipes exist only "
                f"there); the running loop is {type(running).__module__}.{type(running).__name__}"
            )
        super().__init__(**pool)
        self._path = path

    @property
    def path(self) -> str:
        """The pipe's name."""
        return self._path

    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> ConnectionProtocol:
        async with peer_timeout(sock_connect, key):
            return await self._open_pipe(key)

    async def _open_pipe(self, key: ConnectionKey) -> ConnectionProtocol:
        loop: Any = self._loop  # a ProactorEventLoop, checked in __init__
        try:
            transport, proto = await loop.create_pipe_connection(
                lambda: ConnectionProtocol(self._loop), self._path
            )
        except OSError as exc:
            raise ClientConnectorError(key, exc) from exc
        assert isinstance(proto, ConnectionProtocol)
        # The proactor schedules connection_made with call_soon after returning; give it a
        # bounded number of loop turns rather than trusting a protocol with no transport.
        for _ in range(100):
            if proto.transport is not None:
                return proto
            await asyncio.sleep(0)
        transport.close()
        raise ClientConnectorError(
            key,
            ConnectionError(
                None, f"named pipe {self._path!r} opened but never reported the connection made"
            ),
        )
