"""The response body stream (aiohttp's ``StreamReader``) with backpressure.

Theory of operation: the connection's receiver pushes body pieces in synchronously
(:meth:`StreamReader.feed_data`, no task switch per piece); readers pull them out. Pieces
stay the ``bytes`` objects the transport produced, kept in a deque with an offset into
the first one, so reads hand them on without copying and only ``read()`` of the whole
body joins (once). When more than ``high_water`` bytes wait unread, the stream calls its
``pause`` callback (the transport stops reading the socket); once a reader has taken the
buffer below ``low_water`` it calls ``resume``. A piece that arrives for a reader waiting
on an empty buffer never pauses (the reader takes it at once), so the buffer holds at
most ``high_water`` plus one receive. A slow reader therefore never makes the
client buffer the whole body. For chunked bodies the positions where HTTP chunks end are
kept, so :meth:`StreamReader.readchunk` can report them as aiohttp does.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, Self

__all__ = ["StreamReader", "EMPTY_STREAM", "DEFAULT_READ_BUFSIZE"]

DEFAULT_READ_BUFSIZE = 2**16


class _TraceLike(Protocol):
    async def send_response_chunk_received(self, method: str, url: Any, chunk: bytes) -> None: ...
    async def send_response_body_end(self, method: str, url: Any) -> None: ...


class StreamReader:
    """The body of a response, read as it arrives.

    Args:
        loop: the event loop.
        limit: the read buffer size (``read_bufsize``): reading from the socket pauses
            when more than twice this many bytes wait unread, and resumes below it.
        pause, resume: called to stop and restart reading from the socket.
        traces: the request's traces; when non-empty, every read sends
            ``on_response_chunk_received`` and the read reaching the end sends
            ``on_response_body_end``.
        method, url: the request, for the trace signals.
    """

    __module__ = "ketch"
    __slots__ = (
        "_loop", "_buffer", "_offset", "_size", "_cursor", "_eof", "_exc", "_waiter",
        "_eof_waiter", "_low_water", "_high_water", "_high_chunks", "_splits", "_last_split",
        "_pause", "_resume", "_paused", "_traces", "_method", "_url", "_end_traced",
        "_eof_callbacks", "total_bytes",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        limit: int = DEFAULT_READ_BUFSIZE,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
        traces: Sequence[_TraceLike] = (),
        method: str = "GET",
        url: Any = None,
    ) -> None:
        self._loop = loop
        self._buffer: deque[bytes] = deque()
        self._offset = 0
        self._size = 0
        self._cursor = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._eof_waiter: asyncio.Future[None] | None = None
        low = self._low_water = limit if limit > 1 else 1
        self._high_water = low * 2
        # Many tiny HTTP chunks make each split cost a little; bound their number too.
        self._high_chunks = limit // 16 if limit > 64 else 4
        self._splits: deque[int] | None = None
        self._last_split = 0
        self._pause = pause
        self._resume = resume
        self._paused = False
        self._traces = traces
        self._method = method
        self._url = url
        self._end_traced = False
        self._eof_callbacks: list[Callable[[], None]] = []
        self.total_bytes = 0

    def __repr__(self) -> str:
        info = [f"{self._size} bytes"]
        if self._eof:
            info.append("eof")
        if self._exc is not None:
            info.append(f"e={self._exc!r}")
        return f"<StreamReader {' '.join(info)}>"

    # -- producer side (the connection's receiver) -----------------------------------

    def feed_data(self, data: bytes) -> None:
        """Append a piece of the body (never empty)."""
        buf = self._buffer
        buf.append(data)
        self._size += len(data)
        self.total_bytes += len(data)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
                if len(buf) == 1:
                    # A reader waits on an empty buffer: it takes this piece on the next
                    # loop iteration. Pausing for it would only stop and restart the
                    # socket (two epoll_ctl calls per 256 KiB receive): the buffer stays
                    # bounded by high water plus one receive.
                    return
        if self._size > self._high_water and not self._paused:
            self._set_paused()

    def end_http_chunk(self) -> None:
        """The bytes fed so far end an HTTP chunk (chunked transfer coding)."""
        pos = self.total_bytes
        if pos == self._last_split:
            return
        self._last_split = pos
        splits = self._splits
        if splits is None:
            splits = self._splits = deque()
        splits.append(pos)
        if len(splits) > self._high_chunks and not self._paused:
            self._set_paused()

    def feed_eof(self) -> None:
        """The body is complete."""
        self._eof = True
        # The connection may go back to the pool now: never touch its transport again.
        self._pause = self._resume = None
        self._paused = False
        if self._waiter is not None or self._eof_waiter is not None:
            self._wake()
        if self._eof_callbacks:
            callbacks, self._eof_callbacks = self._eof_callbacks, []
            for cb in callbacks:
                cb()

    def set_exception(self, exc: BaseException) -> None:
        """Fail the stream: every read from now on raises *exc*."""
        self._exc = exc
        self._pause = self._resume = None
        self._eof_callbacks.clear()
        if self._waiter is not None or self._eof_waiter is not None:
            self._wake()

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call *callback* when the body is complete (at once if it already is)."""
        if self._eof:
            callback()
        else:
            self._eof_callbacks.append(callback)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        waiter = self._eof_waiter
        if waiter is not None:
            self._eof_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _set_paused(self) -> None:
        pause = self._pause
        if pause is not None:
            self._paused = True
            pause()

    # -- state -------------------------------------------------------------------------

    def exception(self) -> BaseException | None:
        """The error the stream failed with, if any."""
        return self._exc

    def is_eof(self) -> bool:
        """True when the body has ended (bytes may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """True when the body has ended and every byte has been read."""
        return self._eof and not self._buffer

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """``(low_water, high_water)`` of the read buffer, in bytes."""
        return self._low_water, self._high_water

    def set_read_chunk_size(self, n: int) -> None:
        """Raise the buffer limits to fit a reader that asks for *n* bytes at a time."""
        if n > self._low_water:
            self._low_water = n
            self._high_water = n * 2 if n < sys.maxsize // 2 else sys.maxsize
            self._maybe_resume()

    async def wait_eof(self) -> None:
        """Wait until the body is complete (without reading it)."""
        while not self._eof:
            if self._exc is not None:
                raise self._exc
            if self._eof_waiter is not None:
                raise RuntimeError("wait_eof() called while another coroutine waits for EOF")
            waiter = self._eof_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._eof_waiter = None
        if self._exc is not None:
            raise self._exc

    # -- consumer side -------------------------------------------------------------------

    async def _wait(self, func_name: str) -> None:
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is already waiting for "
                "incoming data"
            )
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None
        if self._exc is not None:
            raise self._exc

    def _consumed(self, n: int) -> None:
        self._size -= n
        self._cursor += n
        if self._splits or self._paused:
            self._settle()

    def _settle(self) -> None:
        """After a take: drop passed chunk boundaries, resume reading if under low water."""
        splits = self._splits
        if splits:
            # Boundaries the reader went past (with read()/readany()) are of no use now.
            cursor = self._cursor
            while splits and splits[0] < cursor:
                splits.popleft()
        if self._paused:
            self._maybe_resume()

    def _maybe_resume(self) -> None:
        if not self._paused or self._size >= self._low_water:
            return
        if self._splits is not None and len(self._splits) > self._high_chunks // 2:
            return
        resume = self._resume
        self._paused = False
        if resume is not None:
            resume()

    def _take(self, n: int) -> bytes:
        """Take up to *n* buffered bytes (the buffer is not empty; n > 0)."""
        buf = self._buffer
        first = buf[0]
        off = self._offset
        avail = len(first) - off
        if avail > n:
            self._offset = off + n
            data = first[off : off + n]
        elif avail == n or len(buf) == 1:
            buf.popleft()
            self._offset = 0
            data = first[off:] if off else first
        else:
            parts = []
            need = n
            while buf and need:
                first = buf[0]
                piece = first[self._offset :] if self._offset else first
                if len(piece) > need:
                    self._offset += need
                    parts.append(piece[:need])
                    break
                buf.popleft()
                self._offset = 0
                parts.append(piece)
                need -= len(piece)
            data = b"".join(parts)
        self._consumed(len(data))
        return data

    def _take_first(self) -> bytes:
        """Take the rest of the first buffered piece, without copying when possible."""
        first = self._buffer.popleft()
        if self._offset:
            first = first[self._offset :]
            self._offset = 0
        # _consumed() inlined: this is the per-piece path of readany()/iter_any().
        n = len(first)
        self._size -= n
        self._cursor += n
        if self._splits or self._paused:
            self._settle()
        return first

    def _take_all(self) -> bytes:
        buf = self._buffer
        if not buf:
            return b""
        if self._offset:
            buf[0] = buf[0][self._offset :]
            self._offset = 0
        data = buf.popleft() if len(buf) == 1 else b"".join(buf)
        buf.clear()
        self._consumed(len(data))
        return data

    async def _traced(self, data: bytes) -> bytes:
        for trace in self._traces:
            if data:
                await trace.send_response_chunk_received(self._method, self._url, data)
        if not self._end_traced and self._eof and not self._buffer:
            self._end_traced = True
            for trace in self._traces:
                await trace.send_response_body_end(self._method, self._url)
        return data

    def _take_complete(self) -> bytes | None:
        """The rest of the body at once when it has all arrived and nothing else must
        happen on reading it (no error, no traces), else None (then ``await read()``)."""
        if self._eof and self._exc is None and not self._traces:
            return self._take_all()
        return None

    async def read(self, n: int = -1) -> bytes:
        """Read up to *n* bytes, or the whole body when *n* is -1; b"" at the end.

        Raises:
            ClientPayloadError: the body could not be received in full (or another
                error the connection failed with, such as ``SocketTimeoutError``).
        """
        if self._exc is not None:
            raise self._exc
        if not n:
            return b""
        if n < 0:
            if not self._eof:
                # The whole body is wanted: buffering it all is the point, so no backpressure.
                self.set_read_chunk_size(sys.maxsize)
                await self.wait_eof()
            data = self._take_all()
        else:
            self.set_read_chunk_size(n)
            while not self._buffer and not self._eof:
                await self._wait("read")
            data = self._take(n) if self._buffer else b""
        if self._traces:
            await self._traced(data)
        return data

    async def readany(self) -> bytes:
        """The next bytes available, whatever their size; b"" at the end."""
        if self._exc is not None:
            raise self._exc
        buf = self._buffer
        while not buf and not self._eof:
            await self._wait("readany")
        data = self._take_first() if buf else b""
        if self._traces:
            await self._traced(data)
        return data

    async def readexactly(self, n: int) -> bytes:
        """Exactly *n* bytes.

        Raises:
            asyncio.IncompleteReadError: the body ended first (``partial`` holds what
                there was).
        """
        if self._exc is not None:
            raise self._exc
        parts: list[bytes] = []
        need = n
        while need > 0:
            block = await self.read(need)
            if not block:
                partial = b"".join(parts)
                raise asyncio.IncompleteReadError(partial, len(partial) + need)
            parts.append(block)
            need -= len(block)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def readchunk(self) -> tuple[bytes, bool]:
        """``(data, end_of_http_chunk)``.

        For a chunked body, ``end_of_http_chunk`` is True when *data* ends an HTTP chunk
        (``(b"", True)`` when the chunk's bytes were returned before its end was known);
        otherwise it is always False. ``(b"", False)`` means the body has ended.
        """
        while True:
            if self._exc is not None:
                raise self._exc
            splits = self._splits
            while splits:
                pos = splits.popleft()
                if pos < self._cursor:
                    continue  # a boundary other reads went past
                # At the cursor: the chunk's bytes were read before its end was known
                # (decoded output can end before the chunk does): report the end alone.
                data = self._take(pos - self._cursor) if pos > self._cursor else b""
                if self._traces:
                    await self._traced(data)
                return data, True
            if self._buffer:
                data = self._take_first()
                if self._traces:
                    await self._traced(data)
                return data, False
            if self._eof:
                if self._traces:
                    await self._traced(b"")
                return b"", False
            await self._wait("readchunk")

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        """One line, ending with b"\\n" unless the body ends first.

        Raises:
            ValueError: the line is longer than *max_line_length* (default: the read
                buffer's high-water mark).
        """
        return await self.readuntil(b"\n", max_size=max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: int | None = None) -> bytes:
        """Bytes up to and including *separator*, or the rest of the body at its end.

        Raises:
            ValueError: *separator* is empty, or no separator within *max_size* bytes.
        """
        seplen = len(separator)
        if not seplen:
            raise ValueError("Separator should be at least one-byte string")
        if self._exc is not None:
            raise self._exc
        limit = max_size or self._high_water
        scanned = 0
        while True:
            end, scanned = self._find(separator, scanned)
            if end >= 0:
                if end > limit:
                    raise ValueError(f"line longer than {limit} bytes (no {separator!r} found)")
                data = self._take(end)
                break
            if self._size > limit:
                raise ValueError(f"line longer than {limit} bytes (no {separator!r} found)")
            if self._eof:
                data = self._take_all()
                break
            await self._wait("readuntil")
        if self._traces:
            await self._traced(data)
        return data

    def _find(self, sep: bytes, scanned: int) -> tuple[int, int]:
        """Where *sep* ends in the buffered bytes (-1 if absent), and how far was scanned.

        Bytes before *scanned* were searched by an earlier call, so each byte is
        searched about once however many pieces a long line arrives in.
        """
        seplen = len(sep)
        total = 0
        tail = b""
        for idx, piece in enumerate(self._buffer):
            start = self._offset if idx == 0 else 0
            seg = len(piece) - start
            if total + seg > scanned:
                if tail:
                    # The separator may straddle the previous piece and this one.
                    j = (tail + piece[start : start + seplen - 1]).find(sep)
                    if j >= 0:
                        return total - len(tail) + j + seplen, scanned
                j = piece.find(sep, start + max(0, scanned - total))
                if j >= 0:
                    return total + j - start + seplen, scanned
            if seplen > 1:
                tail = piece[max(start, len(piece) - seplen + 1) :]
            total += seg
        return -1, max(0, total - seplen + 1)

    def read_nowait(self, n: int = -1) -> bytes:
        """What is buffered now (up to *n* bytes), without waiting."""
        if self._exc is not None:
            raise self._exc
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        if not self._buffer:
            return b""
        return self._take_all() if n < 0 else self._take(n)

    def iter_chunked(self, n: int) -> _Iter:
        """Iterate over pieces of at most *n* bytes."""
        self.set_read_chunk_size(n)
        return _Iter(lambda: self.read(n))

    def iter_any(self) -> _Iter:
        """Iterate over the body as it arrives."""
        return _Iter(self.readany)

    def iter_chunks(self) -> _ChunkIter:
        """Iterate over ``(data, end_of_http_chunk)`` pairs (see :meth:`readchunk`)."""
        return _ChunkIter(self)

    def __aiter__(self) -> _Iter:
        return _Iter(self.readline)


class _Iter:
    """``async for`` over a read function until it returns b"" (aiohttp's iterators)."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[bytes]]) -> None:
        self._read = read

    def __aiter__(self) -> _Iter:
        return self

    async def __anext__(self) -> bytes:
        data = await self._read()
        if not data:
            raise StopAsyncIteration
        return data


class _ChunkIter:
    """``async for`` over :meth:`StreamReader.readchunk` until the body ends."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        data, end = await self._stream.readchunk()
        if not data and not end:
            raise StopAsyncIteration
        return data, end


class _EmptyStream(StreamReader):
    """A body that is empty and complete (aiohttp's ``EMPTY_PAYLOAD``)."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # never waits, so needs no loop
        self._eof = True

    def feed_data(self, data: bytes) -> None:
        raise RuntimeError("the empty stream takes no data")

    # Shared by every empty response: nothing may change its state.
    def set_exception(self, exc: BaseException) -> None:
        pass

    def set_read_chunk_size(self, n: int) -> None:
        pass


EMPTY_STREAM: StreamReader = _EmptyStream()
