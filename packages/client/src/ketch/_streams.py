"""The response body stream (aiohttp's ``StreamReader``) with backpressure.

Bytes are pushed in by the connection's receiver (no task switch per piece) and pulled
out by the reader. When more than ``high_water`` bytes wait unread, the transport stops
reading from the socket; once the reader has taken the buffer below ``low_water`` reading
resumes, so a slow reader never makes the client buffer the whole body.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

__all__ = ["StreamReader", "EMPTY_STREAM"]

_DEFAULT_LIMIT = 2**16


class StreamReader:
    """The body of a response, read as it arrives.

    Methods follow aiohttp's ``StreamReader``: ``read``, ``readany``, ``readline``,
    ``readexactly``, ``readchunk``, ``iter_chunked``, ``iter_any``, ``at_eof``, and
    ``async for line in stream``.
    """

    __slots__ = (
        "_buffer", "_size", "_eof", "_exc", "_waiter", "_loop", "_high_water", "_low_water",
        "_pause", "_resume", "_paused", "_on_chunk", "total_bytes",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        limit: int = _DEFAULT_LIMIT,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
    ) -> None:
        self._loop = loop
        self._buffer: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._high_water = limit * 2
        self._low_water = limit
        self._pause = pause
        self._resume = resume
        self._paused = False
        self.total_bytes = 0

    def __repr__(self) -> str:
        return f"<StreamReader {self._size} bytes{' eof' if self._eof else ''}>"

    # producer side ---------------------------------------------------------------
    def feed_data(self, data: bytes) -> None:
        self._buffer.append(data)
        self._size += len(data)
        self.total_bytes += len(data)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        if self._size > self._high_water and not self._paused and self._pause is not None:
            self._paused = True
            self._pause()

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def set_exception(self, exc: BaseException) -> None:
        self._exc = exc
        self._wake()

    def exception(self) -> BaseException | None:
        return self._exc

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # consumer side ---------------------------------------------------------------
    def at_eof(self) -> bool:
        """True when the body has ended and every byte has been read."""
        return self._eof and not self._buffer

    def is_eof(self) -> bool:
        """True when the body has ended (bytes may still be buffered)."""
        return self._eof

    async def _wait(self) -> None:
        if self._exc is not None:
            raise self._exc
        waiter = self._loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None
        if self._exc is not None:
            raise self._exc

    def _taken(self, n: int) -> None:
        self._size -= n
        if self._paused and self._size < self._low_water and self._resume is not None:
            self._paused = False
            self._resume()

    async def read(self, n: int = -1) -> bytes:
        """Read up to *n* bytes (all of the body when *n* is -1); b"" at the end."""
        if self._exc is not None and not self._buffer:
            raise self._exc
        if n < 0:
            while not self._eof:
                await self._wait()
            data = b"".join(self._buffer)
            self._buffer.clear()
            self._taken(len(data))
            return data
        if n == 0:
            return b""
        while not self._buffer and not self._eof:
            await self._wait()
        return self._read_nowait(n)

    def _read_nowait(self, n: int) -> bytes:
        if not self._buffer:
            return b""
        first = self._buffer[0]
        if len(first) <= n:
            self._buffer.popleft()
            self._taken(len(first))
            return first
        self._buffer[0] = first[n:]
        self._taken(n)
        return first[:n]

    async def readany(self) -> bytes:
        """The next bytes available, whatever their size; b"" at the end."""
        while not self._buffer and not self._eof:
            await self._wait()
        if not self._buffer:
            if self._exc is not None:
                raise self._exc
            return b""
        data = self._buffer.popleft()
        self._taken(len(data))
        return data

    async def readexactly(self, n: int) -> bytes:
        """Exactly *n* bytes, or ``asyncio.IncompleteReadError`` if the body ends first."""
        parts: list[bytes] = []
        got = 0
        while got < n:
            chunk = await self.read(n - got)
            if not chunk:
                raise asyncio.IncompleteReadError(b"".join(parts), n)
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    async def readline(self) -> bytes:
        """One line, ending with b"\\n" unless the body ends first."""
        parts: list[bytes] = []
        while True:
            while not self._buffer and not self._eof:
                await self._wait()
            if not self._buffer:
                return b"".join(parts)
            first = self._buffer[0]
            i = first.find(b"\n")
            if i >= 0:
                parts.append(self._read_nowait(i + 1))
                return b"".join(parts)
            parts.append(self._read_nowait(len(first)))

    async def readchunk(self) -> tuple[bytes, bool]:
        """``(data, end_of_http_chunk)``; ``(b"", False)`` at the end of the body."""
        data = await self.readany()
        return data, bool(data)

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Yield pieces of at most *n* bytes."""
        while True:
            chunk = await self.read(n)
            if not chunk:
                return
            yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives."""
        while True:
            chunk = await self.readany()
            if not chunk:
                return
            yield chunk

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """Yield ``(data, end_of_http_chunk)`` pairs."""
        while True:
            data, end = await self.readchunk()
            if not data:
                return
            yield data, end

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[bytes]:
        while True:
            line = await self.readline()
            if not line:
                return
            yield line


class _EmptyStream(StreamReader):
    def __init__(self) -> None:
        self._buffer = deque()
        self._size = 0
        self._eof = True
        self._exc = None
        self._waiter = None
        self._paused = False
        self._pause = None
        self._resume = None
        self.total_bytes = 0


EMPTY_STREAM: StreamReader = _EmptyStream()
