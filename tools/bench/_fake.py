"""In-process stand-ins for asyncio's socket transport, for the benchmarks that measure the
client's own CPU without a network (bench_overhead.py, bench_stream.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ketch_connector import BaseConnector, ConnectionProtocol
from ketch_tracing import Trace


class FakeTransport(asyncio.Transport):
    """Closing, reading state and protocol switching as asyncio's socket transport has
    them; subclasses answer :meth:`write`. ``_resumed`` runs when reading resumes,
    ``_closed`` once on closing."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proto: ConnectionProtocol) -> None:
        super().__init__()
        self._loop = loop
        self._proto: asyncio.BaseProtocol = proto
        self._closing = False
        self._reading = True

    def _resumed(self) -> None:
        pass

    def _closed(self) -> None:
        pass

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._proto = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._proto

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._proto.connection_lost, None)
            self._closed()

    def abort(self) -> None:
        self.close()

    def pause_reading(self) -> None:
        self._reading = False

    def resume_reading(self) -> None:
        self._reading = True
        self._resumed()

    def is_reading(self) -> bool:
        return self._reading

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class FakeConnector(BaseConnector):
    """A connector whose connections run over ``make(loop, protocol)`` transports."""

    def __init__(self, make: Callable[[asyncio.AbstractEventLoop, ConnectionProtocol],
                                      FakeTransport]) -> None:
        super().__init__()
        self._make = make

    async def _create_connection(
        self, key: Hashable, traces: Sequence[Trace], sock_connect: float | None = None
    ) -> ConnectionProtocol:
        loop = asyncio.get_running_loop()
        proto = ConnectionProtocol(loop)
        proto.connection_made(self._make(loop, proto))
        return proto
