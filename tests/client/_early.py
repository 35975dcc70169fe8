"""A loopback server that answers an upload before reading its body, then reads no more:
the peer the client's "never pool a half-sent request" rule is tested against."""

from __future__ import annotations

import asyncio
import socket
import ssl
from types import TracebackType

import ketch

TOO_LARGE = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nnope"


class EarlyAnswerServer:
    """Answers 413 to a request's head and neither reads nor closes until the test ends.

    Args:
        read_first: the body size of a first request to read in full and answer 200 "ok"
            (then the second one is answered early); None answers the first one early.
        before: bytes sent ahead of the 413, a moment before it (``100 Continue``).
        ssl_context: serve TLS.
    """

    def __init__(self, read_first: int | None = None, before: bytes = b"",
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.read_first = read_first
        self.before = before
        self.ssl = ssl_context
        self.heads: list[bytes] = []
        self._done = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"{'https' if self.ssl else 'http'}://127.0.0.1:{port}/up"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        # A small receive buffer: the kernel cannot take a few MiB of body unread.
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.heads.append(await reader.readuntil(b"\r\n\r\n"))
        if self.read_first is not None:
            await reader.readexactly(self.read_first)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            self.heads.append(await reader.readuntil(b"\r\n\r\n"))
        if self.before:
            writer.write(self.before)
            await asyncio.sleep(0.1)
        writer.write(TOO_LARGE)
        await writer.drain()
        await self._done.wait()

    async def __aenter__(self) -> EarlyAnswerServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._done.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in self._writers:  # the server side of each connection, closed here
            writer.transport.abort()


def small_buffers(**kwargs: object) -> ketch.TCPConnector:
    """A connector whose sockets have a 64 KiB send buffer: with the server's small
    receive buffer, no kernel takes a few MiB of unread body, whatever its limits."""
    def factory(info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
        sock = socket.socket(info[0], info[1], info[2])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        return sock

    return ketch.TCPConnector(socket_factory=factory, **kwargs)  # type: ignore[arg-type]


def pool_state(s: ketch.ClientSession) -> tuple[int, int]:
    """(connections holding a slot, idle connections) of the session's connector."""
    conn = s.connector
    assert conn is not None
    return conn._open, len(conn._idle_lru)  # type: ignore[attr-defined]


async def assert_answered_early(resp: ketch.ClientResponse) -> None:
    """*resp* is the 413, read while its body is still going out beside it."""
    assert resp.status == 413 and await resp.read() == b"nope"
    writer = resp._writer  # type: ignore[attr-defined]
    assert writer is not None and not writer.done()
