"""The ketch client's own CPU per MiB of a streamed download, without a network.

A connector whose transport answers a request with a head and a large Content-Length
body, delivered the way asyncio's socket transport delivers it: one piece per loop
iteration, through the protocol's ``get_buffer``/``buffer_updated`` or, once the protocol
has switched the transport to a plain protocol (``set_protocol``), as fresh ``bytes`` to
``data_received``; none while reading is paused. The reader does ``async for chunk in
r.content.iter_any()``, as the end-to-end download scenario. What is printed is the
client's CPU per MiB (handler, parser, stream, task switches, the copy out of the
receive buffer) free of kernel and server noise, for a few piece sizes (the sizes a
loopback receive returns); compare before and after a change.

    hatch run bench:python tools/bench/bench_stream.py [--mib N] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import socket
import time
from typing import Any

import ketch
from _fake import FakeConnector, FakeTransport
from ketch_connector import ConnectionProtocol

PIECE_SIZES = (64 * 1024, 128 * 1024, 256 * 1024)


class _StreamingTransport(FakeTransport):
    """Answers a request with a head and ``size`` body bytes, ``piece`` per iteration."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proto: ConnectionProtocol,
                 size: int, piece: int) -> None:
        super().__init__(loop, proto)
        self._size = size
        self._piece = piece
        self._payload = memoryview(b"x" * piece)
        self._left = 0
        self._scheduled = False
        # A connected socket for the protocol's ``sock`` (nothing is sent over it): the
        # pool peeks it before reuse, and the protocol takes whole receives as plain
        # bytes only on a socket of its own, as for a real TCP connection.
        self._pair: tuple[socket.socket, socket.socket] | None = socket.socketpair()
        proto.sock = self._pair[0]

    def write(self, data: Any) -> None:
        head = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream"
                b"\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n" % self._size)
        self._left = self._size
        proto = self._proto
        assert isinstance(proto, ConnectionProtocol)  # requests go out before any switch
        self._loop.call_soon(proto.data_received, head)
        self._resumed()

    def _resumed(self) -> None:
        if not self._scheduled and self._reading and self._left and not self._closing:
            self._scheduled = True
            self._loop.call_soon(self._deliver)

    def _deliver(self) -> None:
        self._scheduled = False
        if not self._reading or not self._left or self._closing:
            return
        n = min(self._piece, self._left)
        self._left -= n
        proto = self._proto
        if isinstance(proto, asyncio.BufferedProtocol):
            buf = memoryview(proto.get_buffer(-1))
            buf[:n] = self._payload[:n]  # the kernel's copy into the receive buffer
            proto.buffer_updated(n)
        else:
            assert isinstance(proto, asyncio.Protocol)
            proto.data_received(bytes(self._payload[:n]))  # recv() into fresh bytes
        self._resumed()

    def _closed(self) -> None:
        if self._pair is not None:
            for sock in self._pair:
                sock.close()
            self._pair = None


def streaming_connector(size: int, piece: int) -> FakeConnector:
    """A connector whose connections stream a large body (see the module documentation)."""
    return FakeConnector(lambda loop, proto: _StreamingTransport(loop, proto, size, piece))


async def run(size: int, piece: int, repeat: int) -> float:
    """Best CPU seconds over *repeat* downloads of *size* bytes in *piece*-byte pieces."""
    best = float("inf")
    async with ketch.ClientSession(connector=streaming_connector(size, piece)) as s:
        for _ in range(repeat):
            start = time.process_time()
            n = 0
            async with s.get("http://127.0.0.1:8080/big") as r:
                async for chunk in r.content.iter_any():
                    n += len(chunk)
            best = min(best, time.process_time() - start)
            if n != size:
                raise SystemExit(f"received {n} bytes of {size}")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=100, help="body size in MiB")
    ap.add_argument("--repeat", type=int, default=5, help="downloads per piece size (best)")
    ap.add_argument("--profile", action="store_true", help="profile 256 KiB pieces")
    args = ap.parse_args()
    size = args.mib << 20
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(run(size, PIECE_SIZES[-1], 1))
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return
    for piece in PIECE_SIZES:
        best = asyncio.run(run(size, piece, args.repeat))
        print(f"pieces of {piece >> 10:>3} KiB: {best / args.mib * 1e3:.3f} ms CPU per MiB, "
              f"{best / (size / piece) * 1e6:.2f} µs per piece (best of {args.repeat})")


if __name__ == "__main__":
    main()
