"""The ketch client's own Python cost per request, without a network.

A connector whose transport answers every request at once (on the next loop iteration)
with a fixed small response, so the number printed is the CPU the client spends per
sequential GET (session, request building, connector pool, parser, handler, stream,
response) plus the event loop's share, free of kernel and server noise. Useful on a
shared machine where the end-to-end benchmark varies run to run; compare before and
after a change. With ``--profile`` it prints where the time goes, by module.

    hatch run bench:python tools/bench/bench_overhead.py [--requests N] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import time
from collections.abc import Hashable, Sequence
from typing import Any

import ketch
from ketch_connector import BaseConnector, ConnectionProtocol
from ketch_tracing import Trace

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 25 Nov 2026 14:00:00 GMT\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 170\r\nConnection: keep-alive\r\n\r\n"
    + b"x" * 170
)


class _AnsweringTransport(asyncio.Transport):
    """Answers each write with RESPONSE on the next loop iteration."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proto: ConnectionProtocol) -> None:
        super().__init__()
        self._loop = loop
        self._proto = proto
        self._closing = False

    def write(self, data: Any) -> None:
        self._loop.call_soon(self._proto.data_received, RESPONSE)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._proto.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class AnsweringConnector(BaseConnector):
    """A connector whose connections answer at once (see the module documentation)."""

    async def _create_connection(  # type: ignore[override]
        self, key: Hashable, traces: Sequence[Trace], sock_connect: float | None = None
    ) -> ConnectionProtocol:
        loop = asyncio.get_running_loop()
        proto = ConnectionProtocol(loop)
        proto.connection_made(_AnsweringTransport(loop, proto))
        return proto


async def run(n: int) -> None:
    async with ketch.ClientSession(connector=AnsweringConnector()) as s:
        url = "http://127.0.0.1:8080/small"
        for _ in range(n):
            async with s.get(url) as r:
                await r.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--profile", action="store_true", help="show the time by module")
    args = ap.parse_args()
    asyncio.run(run(200))  # warm caches and imports
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(run(args.requests))
        prof.disable()
        by_module: collections.Counter[str] = collections.Counter()
        for (filename, _, name), row in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
            where = filename.split("/src/")[-1] if "/src/" in filename else (
                filename.rsplit("/", 1)[-1] if filename != "~" else name)
            by_module[where] += row[2]
        total = sum(by_module.values())
        for where, spent in by_module.most_common(20):
            print(f"{100 * spent / total:5.1f}%  {where}")
        return
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        asyncio.run(run(args.requests))
        best = min(best, (time.process_time() - start) / args.requests * 1e6)
    print(f"ketch client CPU per sequential GET without a network: {best:.1f} µs (best of 3)")


if __name__ == "__main__":
    main()
