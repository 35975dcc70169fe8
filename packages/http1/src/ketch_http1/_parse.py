"""Incremental HTTP/1.1 response parser (RFC 9112).

Theory of operation: bytes go into one bytearray buffer; each state consumes what it
can with bytes methods (``find``, slicing) and emits events. A head is located with a
single search for the blank line that ends it; the search offset is remembered so a
head arriving in many small pieces is scanned once. Content-Length bodies are handed
on as the slices that arrived, never joined. The caller announces each request's
method with :meth:`ResponseParser.start_response` (needed for HEAD, and to queue
pipelined requests).
"""

from __future__ import annotations

import enum
from collections import deque

from multidict import CIMultiDict, CIMultiDictProxy

from ._decompress import Decoder, make_decoder
from ._events import Data, EndOfMessage, Event, InformationalResponse, Response
from ._exceptions import IncompleteBody, LimitExceeded, RemoteProtocolError, shorten
from ._headers import parse_fields
from ._limits import Limits

__all__ = ["ResponseParser", "ParserState"]

_EMPTY_FIELDS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


class ParserState(enum.Enum):
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


class ResponseParser:
    """Turns the bytes of one connection into response events.

    Args:
        limits: size limits; see :class:`Limits`.

    Call :meth:`start_response` once per request sent, :meth:`feed` with every piece
    of bytes received, and :meth:`feed_eof` when the peer closes. Each returns the
    events completed by that call.
    """

    __slots__ = (
        "_limits", "_buf", "_searched", "_state", "_pending", "_method", "_decompress",
        "_remaining", "_received", "_keep_alive", "_decoder", "_trailers", "_chunked",
        "_trailer_size",
    )

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits if limits is not None else Limits()
        self._buf = bytearray()
        self._searched = 0
        self._state = ParserState.HEAD
        self._pending: deque[tuple[str, bool]] = deque()
        self._method = ""
        self._decompress = False
        self._remaining = 0
        self._received = 0
        self._keep_alive = True
        self._decoder: Decoder | None = None
        self._trailers: list[bytes] = []
        self._chunked = False
        self._trailer_size = 0

    @property
    def state(self) -> ParserState:
        return self._state

    @property
    def is_reusable(self) -> bool:
        """True when the last response ended cleanly and allows another on this connection."""
        return self._state is ParserState.HEAD and self._keep_alive and not self._buf

    def start_response(self, method: str, *, decompress: bool = False) -> None:
        """Announce that a request with *method* was sent; its response comes next in order."""
        self._pending.append((method.upper(), decompress))

    def trailing_data(self) -> bytes:
        """After a 101 response: the bytes that followed its head, untouched."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def feed(self, data: bytes) -> list[Event]:
        """Parse *data*; return the events it completes.

        Raises:
            RemoteProtocolError: the bytes are not a valid response (or a limit was passed).
        """
        events: list[Event] = []
        state = self._state
        if state is ParserState.BODY_LENGTH and not self._buf and self._decoder is None:
            # Fast path: a plain Content-Length body is passed on as it arrived.
            n = len(data)
            if n <= self._remaining:
                self._remaining -= n
                self._received += n
                if n:
                    events.append(Data(data))
                if self._remaining == 0:
                    self._finish(events)
                return events
        if state is ParserState.SWITCHED or state is ParserState.BODY_UNTIL_CLOSE and not self._buf:
            if state is ParserState.SWITCHED:
                self._buf += data
                return events
            self._received += len(data)
            self._emit(events, data)
            return events
        if state is ParserState.CLOSED or state is ParserState.DONE:
            if data:
                raise RemoteProtocolError(
                    f"data after the last response on this connection: {shorten(data)}"
                )
            return events
        self._buf += data
        self._run(events)
        return events

    def feed_eof(self) -> list[Event]:
        """The peer closed the connection; finish a read-until-close body or raise.

        Raises:
            IncompleteBody: the connection closed inside a framed body.
            RemoteProtocolError: it closed inside a head.
        """
        events: list[Event] = []
        state = self._state
        if state is ParserState.BODY_UNTIL_CLOSE:
            self._keep_alive = False
            self._finish(events)
            self._state = ParserState.CLOSED
        elif state in (ParserState.BODY_LENGTH,):
            raise IncompleteBody(self._received + self._remaining, self._received)
        elif state in (ParserState.CHUNK_SIZE, ParserState.CHUNK_DATA, ParserState.CHUNK_CRLF,
                       ParserState.TRAILERS):
            raise IncompleteBody(None, self._received)
        elif state is ParserState.HEAD:
            if self._buf:
                raise RemoteProtocolError(
                    f"connection closed inside a response head: {shorten(self._buf)}"
                )
            self._state = ParserState.CLOSED
        else:
            self._state = ParserState.CLOSED
        return events

    # -- internals ---------------------------------------------------------------

    def _run(self, events: list[Event]) -> None:
        while True:
            state = self._state
            if state is ParserState.HEAD:
                if not self._parse_head(events):
                    return
            elif state is ParserState.BODY_LENGTH:
                buf = self._buf
                if not buf:
                    return
                n = min(len(buf), self._remaining)
                chunk = bytes(buf[:n]) if n < len(buf) else bytes(buf)
                del buf[:n]
                self._remaining -= n
                self._received += n
                self._emit(events, chunk)
                if self._remaining == 0:
                    self._finish(events)
                    continue
                return
            elif state is ParserState.CHUNK_SIZE:
                if not self._parse_chunk_size():
                    return
            elif state is ParserState.CHUNK_DATA:
                buf = self._buf
                if not buf:
                    return
                n = min(len(buf), self._remaining)
                chunk = bytes(buf[:n])
                del buf[:n]
                self._remaining -= n
                self._received += n
                if self._remaining:
                    self._emit(events, chunk)
                    return
                self._emit(events, chunk, True)
                self._state = ParserState.CHUNK_CRLF
            elif state is ParserState.CHUNK_CRLF:
                if len(self._buf) < 2:
                    return
                if self._buf[:2] != b"\r\n":
                    raise RemoteProtocolError(
                        f"chunk data not followed by CRLF: {shorten(self._buf)}"
                    )
                del self._buf[:2]
                self._state = ParserState.CHUNK_SIZE
            elif state is ParserState.TRAILERS:
                if not self._parse_trailer_line(events):
                    return
            elif state is ParserState.BODY_UNTIL_CLOSE:
                if self._buf:
                    chunk = bytes(self._buf)
                    self._buf.clear()
                    self._received += len(chunk)
                    self._emit(events, chunk)
                return
            elif state is ParserState.DONE or state is ParserState.CLOSED:
                if self._buf:
                    raise RemoteProtocolError(
                        f"data after the last response on this connection: {shorten(self._buf)}"
                    )
                return
            else:  # SWITCHED
                return

    def _emit(self, events: list[Event], chunk: bytes, end_of_chunk: bool = False) -> None:
        if self._decoder is not None:
            chunk = self._decoder.decompress(chunk)
            if not chunk:
                # No output: the boundary coincides with the previous one (as aiohttp).
                return
        events.append(Data(chunk, end_of_chunk) if end_of_chunk else Data(chunk))

    def _finish(self, events: list[Event]) -> None:
        if self._decoder is not None:
            tail = self._decoder.flush()
            if tail:
                events.append(Data(tail))
            self._decoder = None
        trailers: CIMultiDictProxy[str] = _EMPTY_FIELDS
        raw_trailers: tuple[tuple[bytes, bytes], ...] = ()
        if self._trailers:
            trailers, raw_trailers = parse_fields(
                self._trailers, self._limits.max_field_size, self._limits.max_headers
            )
            self._trailers = []
        events.append(EndOfMessage(trailers, raw_trailers, self._keep_alive))
        self._state = ParserState.HEAD if self._keep_alive else ParserState.DONE

    def _parse_head(self, events: list[Event]) -> bool:
        buf = self._buf
        if not buf:
            return False
        end = buf.find(b"\r\n\r\n", max(0, self._searched - 3))
        if end < 0:
            self._searched = len(buf)
            if len(buf) > self._limits.max_head_size:
                raise LimitExceeded("max_head_size", self._limits.max_head_size, len(buf))
            eol = buf.find(b"\r\n")
            first = len(buf) if eol < 0 else eol
            if first > self._limits.max_line_size:
                raise LimitExceeded("max_line_size", self._limits.max_line_size, first)
            return False
        self._searched = 0
        if end + 4 > self._limits.max_head_size:
            raise LimitExceeded("max_head_size", self._limits.max_head_size, end + 4)
        head = bytes(buf[:end])
        del buf[: end + 4]
        lines = head.split(b"\r\n")
        status_line = lines[0]
        if len(status_line) > self._limits.max_line_size:
            raise LimitExceeded("max_line_size", self._limits.max_line_size, len(status_line))
        version, status, reason = _parse_status_line(status_line)
        headers, raw = parse_fields(lines[1:], self._limits.max_field_size, self._limits.max_headers)
        if 100 <= status < 200 and status != 101:
            events.append(InformationalResponse(status, reason, headers, raw, version))
            return True
        if self._pending:
            self._method, self._decompress = self._pending.popleft()
        else:
            self._method, self._decompress = "GET", False
        self._setup_body(events, version, status, reason, headers, raw)
        return True

    def _setup_body(self, events: list[Event], version: tuple[int, int], status: int,
                    reason: str, headers: CIMultiDictProxy[str],
                    raw: tuple[tuple[bytes, bytes], ...]) -> None:
        conn = headers.get("Connection", "").lower()
        if version >= (1, 1):
            keep_alive = "close" not in conn
        else:
            keep_alive = "keep-alive" in conn
        self._received = 0
        self._chunked = False
        content_length: int | None = None
        te = headers.getall("Transfer-Encoding", None)
        if status == 101:
            events.append(Response(status, reason, headers, raw, version, False, False, None))
            self._keep_alive = False
            self._state = ParserState.SWITCHED
            return
        no_body = self._method == "HEAD" or status in (204, 304)
        if te is not None and not no_body:
            codings = [c.strip().lower() for c in ",".join(te).split(",") if c.strip()]
            # RFC 9112 §6.3 (4): chunked last means chunked framing (any Content-Length is
            # ignored and the connection is not reused after it); otherwise read to close.
            if codings and codings[-1] == "chunked":
                self._chunked = True
                if "Content-Length" in headers:
                    keep_alive = False
            else:
                keep_alive = False
        elif not no_body and "Content-Length" in headers:
            content_length = _content_length(headers.getall("Content-Length"))
        self._keep_alive = keep_alive
        self._decoder = None
        if self._decompress and not no_body:
            enc = headers.get("Content-Encoding")
            if enc:
                self._decoder = make_decoder(enc)
        if no_body:
            events.append(Response(status, reason, headers, raw, version, keep_alive, False, 0))
            self._finish(events)
        elif self._chunked:
            events.append(Response(status, reason, headers, raw, version, keep_alive, True, None))
            self._state = ParserState.CHUNK_SIZE
            self._trailer_size = 0
        elif content_length is not None:
            events.append(Response(status, reason, headers, raw, version, keep_alive, False,
                                   content_length))
            self._remaining = content_length
            if content_length == 0:
                self._finish(events)
            else:
                self._state = ParserState.BODY_LENGTH
        else:
            self._keep_alive = False
            events.append(Response(status, reason, headers, raw, version, False, False, None))
            self._state = ParserState.BODY_UNTIL_CLOSE

    def _parse_chunk_size(self) -> bool:
        buf = self._buf
        eol = buf.find(b"\r\n")
        max_line = self._limits.max_line_size
        if eol < 0:
            if len(buf) > max_line:
                raise LimitExceeded("max_line_size", max_line, len(buf))
            return False
        if eol > max_line:
            raise LimitExceeded("max_line_size", max_line, eol)
        line = bytes(buf[:eol])
        del buf[: eol + 2]
        size_part = line.split(b";", 1)[0].rstrip(b" \t")
        if not size_part or len(size_part) > 16 or not _is_hex(size_part):
            raise RemoteProtocolError(f"invalid chunk size line: {shorten(line)}")
        size = int(size_part, 16)
        if size == 0:
            self._state = ParserState.TRAILERS
            return True
        self._remaining = size
        self._state = ParserState.CHUNK_DATA
        return True

    def _parse_trailer_line(self, events: list[Event]) -> bool:
        buf = self._buf
        eol = buf.find(b"\r\n")
        if eol < 0:
            if len(buf) > self._limits.max_field_size:
                raise LimitExceeded("max_field_size", self._limits.max_field_size, len(buf))
            return False
        line = bytes(buf[:eol])
        del buf[: eol + 2]
        if not line:
            self._finish(events)
            return True
        self._trailer_size += eol + 2
        if self._trailer_size > self._limits.max_trailer_size:
            raise LimitExceeded("max_trailer_size", self._limits.max_trailer_size, self._trailer_size)
        self._trailers.append(line)
        return True


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _is_hex(s: bytes) -> bool:
    return not s.translate(None, b"0123456789abcdefABCDEF")


def _parse_status_line(line: bytes) -> tuple[tuple[int, int], int, str]:
    # RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if line[:5] != b"HTTP/" or len(line) < 12 or line[6:7] != b"." or line[8:9] != b" ":
        raise RemoteProtocolError(f"invalid status line: {shorten(line)}")
    major, minor = line[5:6], line[7:8]
    if major != b"1" or minor not in (b"0", b"1"):
        raise RemoteProtocolError(f"unsupported HTTP version in status line: {shorten(line)}")
    code = line[9:12]
    if not code.isdigit() or (len(line) > 12 and line[12:13] != b" "):
        raise RemoteProtocolError(f"invalid status code in status line: {shorten(line)}")
    reason_b = line[13:]
    if b"\x00" in reason_b or b"\r" in reason_b or b"\n" in reason_b:
        raise RemoteProtocolError(f"invalid character in reason phrase: {shorten(line)}")
    return (1, int(minor)), int(code), reason_b.decode("latin-1")


def _content_length(values: list[str]) -> int:
    # RFC 9110 §8.6: several identical values (or a list of them) may be taken as one.
    seen: set[str] = set()
    for v in values:
        for part in v.split(","):
            seen.add(part.strip())
    if len(seen) != 1:
        raise RemoteProtocolError(f"conflicting Content-Length values: {values!r}")
    value = seen.pop()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        raise RemoteProtocolError(f"invalid Content-Length value: {value!r}")
    return int(value)
