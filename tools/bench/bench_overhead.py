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
from typing import Any

import ketch
from _fake import FakeConnector, FakeTransport

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 25 Nov 2026 14:00:00 GMT\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 170\r\nConnection: keep-alive\r\n\r\n"
    + b"x" * 170
)


class _AnsweringTransport(FakeTransport):
    """Answers each write with RESPONSE on the next loop iteration."""

    def write(self, data: Any) -> None:
        self._loop.call_soon(self._proto.data_received, RESPONSE)  # type: ignore[attr-defined]


def answering_connector() -> FakeConnector:
    """A connector whose connections answer at once (see the module documentation)."""
    return FakeConnector(_AnsweringTransport)


async def run(n: int) -> None:
    async with ketch.ClientSession(connector=answering_connector()) as s:
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
