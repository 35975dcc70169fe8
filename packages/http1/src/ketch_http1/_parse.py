"""Incremental HTTP/1.1 response parser (RFC 9112).

Theory of operation. :meth:`ResponseParser.feed` works on the bytes it was given
and an offset into them; only a piece it cannot use yet (half a head, half a chunk
line, the bytes after a 101) is kept in a bytearray. While a head is incomplete,
new bytes are appended there and only they are searched for the blank line (the
parser remembers how far it searched), so a head arriving a byte at a time still
costs linear time. Body bytes are never buffered: a Content-Length body that
arrives in its own reads is handed on as the very ``bytes`` objects that came in.

States and what moves them (``_run`` holds one branch per state)::

    HEAD ──1xx──► HEAD (InformationalResponse)
    HEAD ──101, or 2xx to CONNECT──► SWITCHED (Response; then trailing_data())
    HEAD ──no body (HEAD, 204, 304, Content-Length: 0)──► HEAD or DONE
    HEAD ──Content-Length──► BODY_LENGTH ──► HEAD or DONE
    HEAD ──chunked──► CHUNK_SIZE ⇄ CHUNK_DATA ► CHUNK_CRLF; size 0 ► TRAILERS ► HEAD/DONE
    HEAD ──neither──► BODY_UNTIL_CLOSE ──feed_eof──► CLOSED
    any error ──► ERROR (every later call raises)

HEAD follows a message that allows keep-alive, DONE one that does not; bytes
arriving in DONE are a second response after ``Connection: close`` and refused.

Decompression is bounded per call: each ``feed``/``feed_eof`` produces at most
``Limits.max_decompressed_chunk`` decoded bytes. When more is ready, the parser
stops consuming input, :attr:`ResponseParser.output_pending` turns True and the
caller continues with ``feed(b"")`` (typically once its consumer has caught up).
"""

from __future__ import annotations

import enum
from collections import deque

from multidict import CIMultiDictProxy

from ._decompress import Decoder, decoder_for
from ._events import Data, EndOfMessage, Event, InformationalResponse, RawHeaders, Response
from ._exceptions import (
    DecompressionError,
    HTTP1Error,
    IncompleteBody,
    LimitExceeded,
    RemoteProtocolError,
    shorten,
)
from ._framing import Framing, response_framing
from ._headers import CHUNK_LINE, EMPTY_FIELDS, STATUS_CACHE, parse_fields, parse_status_line
from ._limits import Limits

__all__ = ["ResponseParser", "ParserState"]


class ParserState(enum.Enum):
    """Where the parser is on its connection (see the module's state diagram)."""

    HEAD = enum.auto()
    BODY_LENGTH = enum.auto()
    CHUNK_SIZE = enum.auto()
    CHUNK_DATA = enum.auto()
    CHUNK_CRLF = enum.auto()
    TRAILERS = enum.auto()
    BODY_UNTIL_CLOSE = enum.auto()
    DONE = enum.auto()
    SWITCHED = enum.auto()
    CLOSED = enum.auto()
    ERROR = enum.auto()


_HEAD = ParserState.HEAD
_LENGTH = ParserState.BODY_LENGTH
_CSIZE = ParserState.CHUNK_SIZE
_CDATA = ParserState.CHUNK_DATA
_CCRLF = ParserState.CHUNK_CRLF
_TRAILERS = ParserState.TRAILERS
_UNTIL_CLOSE = ParserState.BODY_UNTIL_CLOSE
_DONE = ParserState.DONE
_SWITCHED = ParserState.SWITCHED
_CLOSED = ParserState.CLOSED
_ERROR = ParserState.ERROR

_MAX_DRAIN_STEPS = 100_000
_DEFAULT_LIMITS = Limits()


class _Head:
    """A parsed final head and its framing; the ``Response`` event it makes when the
    connection stays open is built once (events are immutable) and reused from the cache."""

    __slots__ = ("limits", "status", "reason", "headers", "raw", "version", "framing", "event")

    def __init__(self, limits: Limits, status: int, reason: str, headers: CIMultiDictProxy[str],
                 raw: RawHeaders, version: tuple[int, int], framing: Framing) -> None:
        self.limits = limits
        self.status = status
        self.reason = reason
        self.headers = headers
        self.raw = raw
        self.version = version
        self.framing = framing
        self.event: Response | None = None


# Final heads up to this size are remembered, parsed and framed, per request method,
# decompression and limits (see ResponseParser._head); bounded in count.
_CACHED_HEAD_MAX = 1024
_HEAD_CACHE_SIZE = 64
_HEAD_CACHE: dict[tuple[bytes, tuple[str, bool]], _Head] = {}
# Events are immutable, so the two common ends of a message are shared.
_END_KEEP = EndOfMessage(EMPTY_FIELDS, (), True)
_END_CLOSE = EndOfMessage(EMPTY_FIELDS, (), False)
_UPPER_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"))


class ResponseParser:
    """Turns the bytes of one connection into response events.

    Args:
        limits: size limits; see :class:`Limits` (defaults when None).

    Call :meth:`start_response` once per request sent, :meth:`feed` with every
    piece of bytes received, and :meth:`feed_eof` when the peer closes. Each
    returns the events completed by that call, in order. After any error the
    parser stays failed.
    """

    __slots__ = (
        "_limits", "_buf", "_searched", "_state", "_pending", "_remaining", "_received",
        "_keep_alive", "_decoder", "_budget", "_output_pending", "_eof", "_close_after",
        "_error",
    )

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits if limits is not None else _DEFAULT_LIMITS
        self._buf = bytearray()
        self._searched = 0  # bytes of _buf already searched for the awaited terminator
        self._state = _HEAD
        self._pending: deque[tuple[str, bool]] = deque()
        self._remaining = 0  # body or chunk bytes still expected
        self._received = 0  # body bytes of the current message so far
        self._keep_alive = True
        self._decoder: Decoder | None = None
        self._budget = 0  # decoded bytes this call may still produce
        self._output_pending = False
        self._eof = False
        self._close_after = False
        self._error: HTTP1Error | None = None

    @property
    def limits(self) -> Limits:
        """The :class:`Limits` this parser applies (the defaults when none were given)."""
        return self._limits

    @property
    def state(self) -> ParserState:
        """The current :class:`ParserState`."""
        return self._state

    @property
    def is_reusable(self) -> bool:
        """True when every response ended cleanly and the connection may carry another request."""
        return (
            self._state is _HEAD and self._keep_alive and not self._close_after
            and not self._buf and not self._pending and not self._eof
        )

    @property
    def output_pending(self) -> bool:
        """True when decoded output was held back by ``max_decompressed_chunk``.

        Call ``feed(b"")`` (after the peer closed: ``feed_eof()``) to continue.
        """
        return self._output_pending

    def start_response(self, method: str, *, decompress: bool = False) -> None:
        """Announce that a request was sent; its response comes next in order.

        Args:
            method: the request method (HEAD and CONNECT change how the response is framed).
            decompress: decode the body's Content-Encoding (gzip, deflate, br, zstd).
        """
        if method not in _UPPER_METHODS:
            method = method.upper()
        self._pending.append((method, decompress))

    def close_after_response(self) -> None:
        """Mark the connection as not reusable once the current response ends.

        For example when a request body was not sent in full because the server
        answered early (a 417 or other final status to ``Expect: 100-continue``).
        """
        self._close_after = True

    def trailing_data(self) -> bytes:
        """After a 101 or a 2xx to CONNECT: the bytes that followed the head, untouched."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def feed(self, data: bytes) -> list[Event]:
        """Parse *data*; return the events it completes.

        Raises:
            RemoteProtocolError: the bytes are not a valid response; subclasses say
                more: :class:`LimitExceeded`, :class:`DecompressionError`.
        """
        state = self._state
        if state is _LENGTH and self._decoder is None and not self._buf:
            # Fast path: a plain Content-Length body goes on as it arrived.
            n = len(data)
            r = self._remaining
            if n < r:
                self._remaining = r - n
                self._received += n
                return [Data(data)] if n else []
        if self._eof and not data:
            return self.feed_eof()
        events: list[Event] = []
        if state is _SWITCHED:
            self._buf += data
            return events
        try:
            if self._error is not None:
                raise RemoteProtocolError(f"the parser failed earlier: {self._error}")
            if self._buf:
                d = self._take_buffer(data)
                if d is None:
                    return events
            else:
                d = data
            self._budget = self._limits.max_decompressed_chunk
            self._output_pending = False
            pos = self._run(d, 0, events)
            if pos < len(d):
                self._buf += memoryview(d)[pos:]
                self._searched = len(self._buf)
                self._check_partial()
        except HTTP1Error as exc:
            self._fail(exc)
            raise
        return events

    def feed_eof(self) -> list[Event]:
        """The peer closed the connection: finish a read-until-close body or raise.

        Raises:
            IncompleteBody: the connection closed inside a framed body.
            RemoteProtocolError: it closed inside a head, or after bytes that were
                refused.
        """
        events: list[Event] = []
        if self._state is _SWITCHED:
            return events
        try:
            if self._error is not None:
                raise RemoteProtocolError(f"the parser failed earlier: {self._error}")
            self._eof = True
            d = bytes(self._buf)
            self._buf.clear()
            self._budget = self._limits.max_decompressed_chunk
            self._output_pending = False
            pos = self._run(d, 0, events)
            if pos < len(d):
                self._buf += memoryview(d)[pos:]
            if not self._output_pending:
                self._at_eof(events)
        except HTTP1Error as exc:
            self._fail(exc)
            raise
        return events

    # -- internals ---------------------------------------------------------------

    def _fail(self, exc: HTTP1Error) -> None:
        self._state = _ERROR
        if self._error is None:
            self._error = exc
        self._decoder = None
        self._output_pending = False

    def _take_buffer(self, data: bytes) -> bytes | None:
        """Add *data* to the kept bytes; return them all, or None while still incomplete."""
        buf = self._buf
        buf += data
        state = self._state
        if state is _HEAD or state is _TRAILERS:
            if buf.find(b"\r\n\r\n", max(0, self._searched - 3)) < 0:
                self._searched = len(buf)
                self._check_partial()
                return None
        elif state is _CSIZE:
            if buf.find(b"\r\n", max(0, self._searched - 1)) < 0:
                self._searched = len(buf)
                self._check_partial()
                return None
        d = bytes(buf)
        buf.clear()
        return d

    def _check_partial(self) -> None:
        """Limits on an incomplete head, chunk line or trailer section."""
        buf = self._buf
        state = self._state
        lim = self._limits
        n = len(buf)
        last = buf.rfind(b"\r\n")
        start = last + 2 if last >= 0 else 0
        line = n - start - (1 if buf.endswith(b"\r") else 0)
        if state is not _DONE and state is not _CLOSED and buf.find(b"\n", start) >= 0:
            # A line ending in a bare LF would never complete: say so now (RFC 9112 §2.2).
            raise RemoteProtocolError(f"bare LF in response: {shorten(buf[start:])}")
        if state is _HEAD:
            if n > lim.max_head_size:
                raise LimitExceeded("max_head_size", lim.max_head_size, n)
            if last < 0:
                if not buf.startswith(b"HTTP/"[:n]):
                    parse_status_line(bytes(buf), 0, n)  # raises, naming the bytes
                if line > lim.max_line_size:
                    raise LimitExceeded("max_line_size", lim.max_line_size, line)
            elif line > lim.max_field_size:
                raise LimitExceeded("max_field_size", lim.max_field_size, line)
        elif state is _TRAILERS:
            if n - 2 > lim.max_trailer_size:
                raise LimitExceeded("max_trailer_size", lim.max_trailer_size, n - 2)
            if line > lim.max_field_size:
                raise LimitExceeded("max_field_size", lim.max_field_size, line)
        elif state is _CSIZE and line > lim.max_line_size:
            raise LimitExceeded("max_line_size", lim.max_line_size, line)

    def _run(self, d: bytes, pos: int, events: list[Event]) -> int:
        """Consume ``d[pos:]`` as far as possible; return where parsing stopped."""
        end = len(d)
        while True:
            state = self._state
            if state is _HEAD:
                if pos == end:
                    return pos
                hend = d.find(b"\r\n\r\n", pos)
                if hend < 0:
                    return pos
                pos = self._head(d, pos, hend, events)
            elif state is _LENGTH or state is _CDATA:
                pos = self._framed_body(d, pos, events)
                if self._state is state:
                    return pos
            elif state is _CSIZE:
                pos = self._chunks(d, pos, events)
                if self._state is _CSIZE:
                    return pos
            elif state is _CCRLF:
                if end - pos < 2 or d[pos] != 13 or d[pos + 1] != 10:
                    if d[pos:pos + 2] != b"\r\n"[:end - pos]:
                        raise RemoteProtocolError(
                            f"chunk data not followed by CRLF: {shorten(d[pos:pos + 20])}"
                        )
                    return pos
                pos += 2
                self._state = _CSIZE
            elif state is _TRAILERS:
                if self._decoder is not None and not self._drain(events):
                    return pos
                if not d.startswith(b"\r\n\r\n", pos):
                    tend = d.find(b"\r\n\r\n", pos)
                    if tend < 0:
                        return pos
                    pos = self._trailers(d, pos, tend, events)
                else:
                    pos += 4
                    self._finish(events, EMPTY_FIELDS, ())
            elif state is _UNTIL_CLOSE:
                return self._until_close(d, pos, events)
            elif state is _SWITCHED:
                return pos
            else:  # DONE, CLOSED: nothing may follow
                if pos < end and not events:
                    raise RemoteProtocolError(
                        "data after the last response on this connection (it said "
                        f"Connection: close or was not reusable): {shorten(d[pos:])}"
                    )
                return pos

    def _framed_body(self, d: bytes, pos: int, events: list[Event]) -> int:
        """A Content-Length body or one chunk's data: hand on what is here."""
        state = self._state
        end = len(d)
        while True:
            if self._decoder is not None and not self._drain(events):
                return pos
            r = self._remaining
            if r == 0:
                if state is _LENGTH:
                    self._finish(events, EMPTY_FIELDS, ())
                else:
                    self._state = _CCRLF
                return pos
            n = end - pos
            if n == 0:
                return pos
            if n <= r:
                chunk = d[pos:] if pos else d
            else:
                n = r
                chunk = d[pos:pos + n]
            pos += n
            self._remaining = r - n
            self._received += n
            # The piece that completes an HTTP chunk says so (StreamReader.readchunk).
            last = r == n and state is _CDATA
            if self._decoder is None:
                events.append(Data(chunk, True) if last else Data(chunk))
            else:
                self._decode(chunk, events, last)

    def _until_close(self, d: bytes, pos: int, events: list[Event]) -> int:
        end = len(d)
        if self._decoder is None:
            if pos < end:
                events.append(Data(d[pos:] if pos else d))
                self._received += end - pos
            return end
        if not self._drain(events):
            return pos
        if pos < end:
            self._received += end - pos
            self._decode(d[pos:] if pos else d, events)
            self._drain(events)
        return end

    def _head(self, d: bytes, pos: int, hend: int, events: list[Event]) -> int:
        lim = self._limits
        if hend + 4 - pos > lim.max_head_size:
            raise LimitExceeded("max_head_size", lim.max_head_size, hend + 4 - pos)
        pending = self._pending
        key: tuple[bytes, tuple[str, bool]] | None = None
        if hend - pos <= _CACHED_HEAD_MAX and pending:
            # A client polling one resource gets the very same head again and again
            # (Date changes once a second): its parse and framing are remembered, for
            # the same limits object (the head was checked against those).
            key = (d[pos:hend], pending[0])
            hit = _HEAD_CACHE.get(key)
            if hit is not None and hit.limits is lim:
                return self._final_head(d, hend + 4, events, hit, pending.popleft()[1])
        eol = d.find(b"\r\n", pos)
        if eol - pos > lim.max_line_size:
            raise LimitExceeded("max_line_size", lim.max_line_size, eol - pos)
        status_line = STATUS_CACHE.get(d[pos:eol])
        version, status, reason = (
            status_line if status_line is not None else parse_status_line(d, pos, eol)
        )
        headers, raw = parse_fields(d, eol, hend, lim.max_field_size, lim.max_headers)
        if not pending:
            raise RemoteProtocolError(
                f"response {shorten(d[pos:eol])} arrived but no request is outstanding"
            )
        pos = hend + 4
        if status < 200 and status != 101:
            events.append(InformationalResponse(status, reason, headers, raw, version))
            return pos
        method, decompress = pending.popleft()
        head = _Head(lim, status, reason, headers, raw, version,
                     response_framing(method, version, status, headers))
        if key is not None:
            # Only heads that parsed cleanly get here; the headers are a read-only proxy
            # and the framing a tuple the parser never changes, so sharing them is safe.
            if len(_HEAD_CACHE) >= _HEAD_CACHE_SIZE:
                _HEAD_CACHE.clear()
            _HEAD_CACHE[key] = head
        return self._final_head(d, pos, events, head, decompress)

    def _final_head(self, d: bytes, pos: int, events: list[Event], head: _Head,
                    decompress: bool) -> int:
        """Emit the final response head (the body starts at *pos*) and set up its body."""
        keep_alive, switched, chunked, length, transfer, content = head.framing
        self._received = 0
        if switched:
            events.append(Response(head.status, head.reason, head.headers, head.raw,
                                   head.version, False, False, None))
            self._keep_alive = False
            self._state = _SWITCHED
            return pos
        if keep_alive and not self._close_after:
            event = head.event
            if event is None:
                event = head.event = Response(head.status, head.reason, head.headers,
                                              head.raw, head.version, True, chunked, length)
        else:
            keep_alive = False
            event = Response(head.status, head.reason, head.headers, head.raw, head.version,
                             False, chunked, length)
        self._keep_alive = keep_alive
        codings = transfer + content if decompress and content else transfer
        decoder = self._decoder = decoder_for(codings) if codings else None
        events.append(event)
        if chunked:
            self._state = _CSIZE
        elif length is None:
            self._state = _UNTIL_CLOSE
        elif decoder is None and pos + length <= len(d):
            # The whole body came with the head (small responses): no body state at all.
            if length:
                events.append(Data(d[pos:pos + length]))
                self._received = length
            if keep_alive:
                events.append(_END_KEEP)
                self._state = _HEAD
            else:
                events.append(_END_CLOSE)
                self._state = _DONE
            return pos + length
        else:
            self._remaining = length
            self._state = _LENGTH
        return pos

    def _chunks(self, d: bytes, pos: int, events: list[Event]) -> int:
        """Parse chunk-size lines, and whole chunks while they are in hand, in one loop."""
        max_line = self._limits.max_line_size
        fullmatch = CHUNK_LINE.fullmatch
        end = len(d)
        plain = self._decoder is None
        while True:
            eol = d.find(b"\r\n", pos)
            if eol < 0:
                return pos
            if eol - pos > max_line:
                raise LimitExceeded("max_line_size", max_line, eol - pos)
            m = fullmatch(d, pos, eol)
            if m is None:
                raise RemoteProtocolError(f"invalid chunk size line: {shorten(d[pos:eol])}")
            size = int(m.group(1), 16)
            if not size:
                # Keep the CRLF: the trailer section then ends at the next CRLFCRLF.
                self._state = _TRAILERS
                return eol
            start = eol + 2
            stop = start + size
            if plain and stop + 2 <= end and d[stop] == 13 and d[stop + 1] == 10:
                # The whole chunk and its CRLF are here.
                events.append(Data(d[start:stop], True))
                self._received += size
                pos = stop + 2
                continue
            self._remaining = size
            self._state = _CDATA
            return start

    def _trailers(self, d: bytes, pos: int, tend: int, events: list[Event]) -> int:
        lim = self._limits
        size = tend + 2 - pos
        if size > lim.max_trailer_size:
            raise LimitExceeded("max_trailer_size", lim.max_trailer_size, size)
        trailers, raw = parse_fields(d, pos, tend, lim.max_field_size, lim.max_headers, "trailer")
        self._finish(events, trailers, raw)
        return tend + 4

    def _decode(self, chunk: bytes, events: list[Event], end_of_chunk: bool = False) -> None:
        # Only called after _drain() returned True, so the budget is positive.
        decoder = self._decoder
        assert decoder is not None
        out = decoder.decompress(chunk, self._budget)
        if out:
            self._budget -= len(out)
            events.append(Data(out, end_of_chunk))

    def _drain(self, events: list[Event]) -> bool:
        """Hand out output the decoder has ready; False when this call's budget is spent."""
        decoder = self._decoder
        assert decoder is not None
        steps = 0
        while not decoder.needs_input:
            if self._budget <= 0:
                self._output_pending = True
                return False
            out = decoder.decompress(b"", self._budget)
            if out:
                self._budget -= len(out)
                events.append(Data(out))
            steps += 1
            if steps > _MAX_DRAIN_STEPS:
                raise DecompressionError("the decoder stopped making progress")
        if self._budget <= 0:
            self._output_pending = True
            return False
        return True

    def _finish(self, events: list[Event], trailers: CIMultiDictProxy[str], raw: RawHeaders) -> None:
        if self._decoder is not None:
            self._decoder.finish()
            self._decoder = None
        keep_alive = self._keep_alive and not self._close_after
        if raw:
            events.append(EndOfMessage(trailers, raw, keep_alive))
        else:
            events.append(_END_KEEP if keep_alive else _END_CLOSE)
        self._state = _HEAD if keep_alive else _DONE

    def _at_eof(self, events: list[Event]) -> None:
        state = self._state
        if state is _UNTIL_CLOSE:
            self._keep_alive = False
            self._finish(events, EMPTY_FIELDS, ())
            self._state = _CLOSED
        elif state is _LENGTH:
            raise IncompleteBody(self._received + self._remaining, self._received)
        elif state is _CSIZE or state is _CDATA or state is _CCRLF or state is _TRAILERS:
            raise IncompleteBody(None, self._received)
        elif self._buf:
            if state is _HEAD:
                raise RemoteProtocolError(
                    f"connection closed inside a response head: {shorten(self._buf)}"
                )
            raise RemoteProtocolError(
                f"data after the last response on this connection: {shorten(self._buf)}"
            )
        else:
            self._state = _CLOSED
