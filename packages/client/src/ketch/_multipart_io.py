"""The byte-level pieces of the multipart reader: sources that take bytes back, the
delimiter scan of RFC 2046 §5.1.1, part header parsing and body decoding."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Protocol

from multidict import CIMultiDict, CIMultiDictProxy

import ketch_http1 as h1

from ._streams import StreamReader

__all__ = [
    "HEAD_LIMIT", "Delimited", "Source", "StreamSource", "parse_headers", "read_until",
    "undo_content_encoding", "undo_transfer_encoding",
]

# Limits on a part's header block, as for response headers (ketch's defaults).
_MAX_FIELD_SIZE = 8190
_MAX_HEADERS = 128
HEAD_LIMIT = 64 * 1024
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# RFC 5322 §2.2 / RFC 9110 §5.5: name ":" value, the value without CTLs but HTAB.
_FIELD_RE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*+([\t\x20-\x7e\x80-\xff]*)")
_BAD_BYTE_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BYTE_NAMES = {b"\x00": "NUL", b"\r": "CR", b"\n": "LF"}
_IDENTITY_CTE = frozenset({"binary", "8bit", "7bit"})


class Source(Protocol):
    """Hands out bytes (b"" at the end) and takes back what was read too far."""

    async def read_some(self) -> bytes: ...

    def unread(self, data: bytes) -> None: ...


class StreamSource:
    """A ``StreamReader`` that takes back bytes read past a boundary."""

    __slots__ = ("_stream", "_back")

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream
        self._back = b""

    async def read_some(self) -> bytes:
        if self._back:
            data, self._back = self._back, b""
            return data
        return await self._stream.readany()

    def unread(self, data: bytes) -> None:
        self._back = data + self._back if self._back else data


class Delimited:
    """The bytes of a source up to the next ``CRLF dash-boundary`` (RFC 2046 §5.1.1)."""

    __slots__ = ("_src", "_delim", "_tail", "_skip", "_ready", "_pos", "done", "_what")

    def __init__(
        self, src: Source, dash_boundary: bytes, what: str, at_line_start: bool = True
    ) -> None:
        self._src = src
        self._delim = b"\r\n" + dash_boundary
        # The CRLF that ends a header block (or starts the body) may also be the
        # delimiter's: a virtual CRLF lets "--boundary" right at the start end an empty
        # body; it is never handed out.
        self._tail = b"\r\n" if at_line_start else b""
        self._skip = 2 if at_line_start else 0
        # Bytes of the body in hand, handed out from _pos on (never copied again).
        self._ready = b""
        self._pos = 0
        self.done = False
        self._what = what

    @property
    def has_ready(self) -> bool:
        """True while bytes of the body are in hand (read from the source already)."""
        return self._pos < len(self._ready)

    def unread(self, data: bytes) -> None:
        """Put *data* back before the bytes in hand."""
        if data:
            self._ready = data + self._ready[self._pos:]
            self._pos = 0

    async def read(self, size: int) -> bytes:
        """Up to *size* bytes (at least one unless the delimiter was reached)."""
        while not self.has_ready and not self.done:
            await self._fill()
        return self._take(self._pos + size)

    async def readline(self) -> bytes:
        """Up to and including the next b"\\n" of the body in hand, or all of it when it
        holds none (at least one byte unless the delimiter was reached)."""
        while not self.has_ready and not self.done:
            await self._fill()
        end = self._ready.find(b"\n", self._pos) + 1
        return self._take(end or len(self._ready))

    def _take(self, end: int) -> bytes:
        ready, pos = self._ready, self._pos
        if end >= len(ready):
            self._ready, self._pos = b"", 0
            return ready[pos:] if pos else ready
        self._pos = end
        return ready[pos:end]

    async def _fill(self) -> None:
        chunk = await self._src.read_some()
        if not chunk:
            raise ValueError(
                f"multipart body ended inside {self._what}: no delimiter "
                f"{self._delim[2:]!r} before the end of the stream (truncated body)"
            )
        window = self._tail + chunk
        delim = self._delim
        i = window.find(delim)
        if i >= 0:
            self._src.unread(window[i + len(delim):])
            out = window[:i]
            self._tail = b""
            self.done = True
        else:
            # Hold back only a suffix that begins the delimiter: it may end in the next read.
            cut = window.find(b"\r", max(len(window) - len(delim) + 1, 0))
            while cut >= 0 and not delim.startswith(window[cut:]):
                cut = window.find(b"\r", cut + 1)
            if cut < 0:
                cut = len(window)
            out = window[:cut]
            self._tail = window[cut:]
        if self._skip:
            taken = min(self._skip, len(out))
            out = out[taken:]
            self._skip -= taken
        self._ready, self._pos = out, 0


def undo_transfer_encoding(data: bytes, cte: str) -> bytes:
    # RFC 2045 §6.
    if cte == "base64":
        try:
            return base64.b64decode(data)
        except binascii.Error as exc:
            raise ValueError(f"part body is not valid base64: {exc}") from exc
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    if cte in _IDENTITY_CTE:
        return data
    raise RuntimeError(f"unknown content transfer encoding: {cte!r}")


def undo_content_encoding(data: bytes, ce: str) -> bytes:
    """*data* decoded from Content-Encoding *ce*: gzip, deflate or identity, as aiohttp
    accepts in a part (the decoders are ketch_http1's)."""
    if ce == "identity":
        return data
    if ce not in ("gzip", "deflate"):
        raise RuntimeError(f"unknown content encoding: {ce!r}")
    decoder = h1.make_decoder(ce)
    assert decoder is not None
    out = bytearray()
    try:
        while True:
            out += decoder.decompress(data, 1 << 20)
            data = b""
            if decoder.needs_input:
                break
    except h1.DecompressionError as exc:
        raise ValueError(f"part body is not valid {ce}: {exc}") from exc
    try:
        decoder.finish()
    except h1.DecompressionError as exc:
        raise ValueError(f"part body is truncated {ce} data") from exc
    return bytes(out)


async def read_until(
    src: Source, sep: bytes, limit: int, prefix: bytes = b""
) -> tuple[bytes, bool]:
    """``prefix`` and the source's bytes up to and including *sep*, whether *sep* was
    found; stops at the end of the source or once more than *limit* bytes are held."""
    buf = bytearray(prefix)
    scanned = 0
    while True:
        i = buf.find(sep, scanned)
        if i >= 0:
            end = i + len(sep)
            if end < len(buf):
                src.unread(bytes(buf[end:]))
                del buf[end:]
            return bytes(buf), True
        if len(buf) > limit:
            return bytes(buf), False
        scanned = max(len(buf) - len(sep) + 1, 0)
        chunk = await src.read_some()
        if not chunk:
            return bytes(buf), False
        buf += chunk


def _describe(line: bytes) -> str:
    bad = _BAD_BYTE_RE.search(line)
    if bad is not None:
        char = bad.group()
        return f"{_BYTE_NAMES.get(char, f'control byte {char!r}')} in part header line {line!r}"
    if b":" not in line:
        return f"part header line without a colon: {line!r}"
    return f"invalid part header name in {line!r}"


def parse_headers(block: bytes) -> CIMultiDictProxy[str]:
    """The part headers of *block*: the lines between a boundary line and a blank line."""
    pairs: list[tuple[bytes, bytes]] = []
    for line in block.split(b"\r\n"):
        if len(line) > _MAX_FIELD_SIZE:
            raise ValueError(
                f"part header line longer than {_MAX_FIELD_SIZE} bytes: {line[:64]!r}..."
            )
        if line[:1] in (b" ", b"\t") and pairs and _BAD_BYTE_RE.search(line) is None:
            # RFC 5322 §2.2.3: a folded line continues the previous field (unfolded to SP).
            name, value = pairs[-1]
            pairs[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        m = _FIELD_RE.fullmatch(line)
        if m is None:
            raise ValueError(_describe(line))
        pairs.append((m.group(1), m.group(2).rstrip(b" \t")))
    if len(pairs) > _MAX_HEADERS:
        raise ValueError(f"too many part headers: {len(pairs)} (at most {_MAX_HEADERS})")
    return CIMultiDictProxy(CIMultiDict(
        (n.decode("ascii"), v.decode("utf-8", "surrogateescape")) for n, v in pairs
    ))
