"""Content-Encoding and transfer-coding decoders with bounded output.

Every decoder follows one contract, so a decompression bomb cannot make one call
allocate more than a bounded amount: :meth:`Decoder.decompress` takes compressed
input (all of it is accepted; what cannot be processed yet is kept inside) and
returns at most ``max_length`` bytes. While :attr:`Decoder.needs_input` is False,
more output is ready: call ``decompress(b"", n)`` again. :meth:`Decoder.finish`
checks, at the end of the body, that the compressed stream was complete.

zlib and zstd bound their output exactly (``max_length``); brotli's
``output_buffer_limit`` is approximate, so its surplus is held back and handed out
in later calls.
"""

from __future__ import annotations

import enum
import importlib
import zlib
from types import ModuleType
from typing import Any, Protocol

from ._exceptions import DecompressionError, MissingDecoder, shorten
from ._headers import CHUNK_LINE

__all__ = ["Decoder", "make_decoder", "SUPPORTED_ENCODINGS"]

SUPPORTED_ENCODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")
"""Content-Encoding names :func:`make_decoder` understands (br and zstd need extras)."""


class Decoder(Protocol):
    """A streaming decoder with bounded output per call."""

    @property
    def needs_input(self) -> bool:
        """False while decoded output is ready without more input."""
        ...

    def decompress(self, data: bytes, max_length: int) -> bytes:
        """Accept *data* and return at most *max_length* (> 0) decoded bytes.

        Raises:
            DecompressionError: the input is not valid for the encoding.
        """
        ...

    def finish(self) -> None:
        """The body ended: check that the compressed stream was complete.

        Raises:
            DecompressionError: the stream was cut short.
        """
        ...


class _ZlibDecoder:
    """gzip (with multiple members), or deflate in its zlib wrapper or raw."""

    __slots__ = ("_encoding", "_gzip", "_obj", "_in", "_hold", "_more", "_started", "_sniff")

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._gzip = encoding != "deflate"
        self._obj: Any = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._in = b""  # input zlib has not taken yet (its unconsumed tail, a next member)
        self._hold = b""  # under 2 bytes that cannot be judged yet (header sniff, member start)
        self._more = False  # the last call filled max_length: zlib may hold more output
        self._started = False
        self._sniff = not self._gzip

    @property
    def needs_input(self) -> bool:
        return not self._in and not self._more

    def decompress(self, data: bytes, max_length: int) -> bytes:
        inp = self._in + data if self._in else data
        if self._hold:
            inp = self._hold + inp
            self._hold = b""
        self._in = b""
        if not inp and not self._more:
            return b""
        self._started = True
        if self._sniff:
            if len(inp) < 2:
                self._hold = inp
                return b""
            self._sniff = False
            # Servers send raw deflate under "deflate" often enough that clients accept
            # it: a zlib header has CM 8 and (CMF*256 + FLG) % 31 == 0 (RFC 1950 §2.2).
            if (inp[0] & 0x0F) != 8 or ((inp[0] << 8) | inp[1]) % 31:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        obj = self._obj
        if obj.eof:
            self._more = False
            if inp:
                self._next_member(inp)
            return b""
        try:
            out: bytes = obj.decompress(inp, max_length)
        except zlib.error as exc:
            raise DecompressionError(f"cannot decode {self._encoding} body: {exc}") from exc
        self._in = obj.unconsumed_tail
        self._more = len(out) >= max_length
        if obj.eof and obj.unused_data:
            self._next_member(obj.unused_data + self._in)
        return out

    def _next_member(self, rest: bytes) -> None:
        # RFC 1952 §2.2: a gzip file is a series of members; deflate has one stream.
        if self._gzip and len(rest) < 2 and b"\x1f\x8b".startswith(rest):
            self._hold = rest
            self._in = b""
            return
        if not self._gzip or rest[:2] != b"\x1f\x8b":
            raise DecompressionError(
                f"data after the end of the {self._encoding} stream: {shorten(rest)}"
            )
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._in = rest

    def finish(self) -> None:
        if self._started and (not self._obj.eof or self._hold):
            raise DecompressionError(f"the {self._encoding} stream ended early (body truncated)")


def _import_brotli() -> ModuleType:
    try:
        import brotli
    except ImportError as exc:
        raise MissingDecoder(
            "the response is br-encoded; install ketch-http1[brotli] to decode it"
        ) from exc
    if not hasattr(brotli.Decompressor, "can_accept_more_data"):
        raise MissingDecoder(
            "decoding br needs brotli >= 1.2 (bounded output); install ketch-http1[brotli]"
        )
    module: ModuleType = brotli
    return module


class _BrotliDecoder:
    __slots__ = ("_brotli", "_obj", "_in", "_out", "_more", "_started")

    def __init__(self) -> None:
        self._brotli = _import_brotli()
        self._obj: Any = self._brotli.Decompressor()
        self._in = b""  # input received while brotli still had output to give
        self._out = b""  # output beyond max_length (brotli's limit is approximate)
        # The last call reached the limit: brotli may hold more output, although
        # can_accept_more_data() already says True once the input was taken in.
        self._more = False
        self._started = False

    @property
    def needs_input(self) -> bool:
        return (
            not self._out and not self._in and not self._more
            and bool(self._obj.can_accept_more_data())
        )

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if data:
            self._started = True
            self._in += data
        if not self._out:
            obj = self._obj
            try:
                if obj.can_accept_more_data() and not self._more:
                    inp, self._in = self._in, b""
                    if inp and obj.is_finished():
                        raise DecompressionError(f"data after the end of the br stream: {shorten(inp)}")
                    out = obj.process(inp, output_buffer_limit=max_length)
                else:
                    out = obj.process(b"", output_buffer_limit=max_length)
            except self._brotli.error as exc:
                raise DecompressionError(f"cannot decode br body: {exc}") from exc
            self._more = len(out) >= max_length
            self._out = out
        out = self._out
        if len(out) <= max_length:
            self._out = b""
            return out
        self._out = out[max_length:]
        return out[:max_length]

    def finish(self) -> None:
        if self._started and not self._obj.is_finished():
            raise DecompressionError("the br stream ended early (body truncated)")


def _import_zstd() -> ModuleType:
    # compression.zstd from Python 3.14 on, its backport before.
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise MissingDecoder("the response is zstd-encoded; install ketch-http1[zstd] to decode it")


class _ZstdDecoder:
    __slots__ = ("_zstd", "_obj", "_in", "_started")

    def __init__(self) -> None:
        self._zstd = _import_zstd()
        self._obj: Any = self._zstd.ZstdDecompressor()
        self._in = b""  # the next frame, when one frame ended inside a call
        self._started = False

    @property
    def needs_input(self) -> bool:
        # After the end of a frame needs_input stays False; nothing more is coming.
        return not self._in and (bool(self._obj.eof) or bool(self._obj.needs_input))

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if data:
            self._started = True
        obj = self._obj
        inp = self._in + data if self._in else data
        self._in = b""
        if obj.eof:
            if inp:
                # RFC 8878 §3.1: a zstd stream may hold several frames.
                self._obj = self._zstd.ZstdDecompressor()
                self._in = inp
            return b""
        try:
            out: bytes = obj.decompress(inp, max_length)
        except self._zstd.ZstdError as exc:
            raise DecompressionError(f"cannot decode zstd body: {exc}") from exc
        if obj.eof and obj.unused_data:
            self._in = obj.unused_data
        return out

    def finish(self) -> None:
        if self._started and not self._obj.eof:
            raise DecompressionError("the zstd stream ended early (body truncated)")


class _Inner(enum.Enum):
    """Where the inner chunked decoder is."""

    SIZE_LINE = "size line"
    DATA = "chunk data"
    DATA_CRLF = "CRLF after the data"
    TRAILERS = "trailer lines"
    DONE = "done"


class _InnerChunkedDecoder:
    """The chunked coding found under another transfer coding (``chunked, gzip``).

    RFC 9112 §6.3 (4): when chunked is not the final transfer coding the body runs to
    the end of the connection; the chunk framing is then part of what the later codings
    produced, and is undone here like any other coding. Chunk extensions and trailers
    are dropped (they carry nothing the caller can use at this depth).
    """

    __slots__ = ("_buf", "_left", "_state")

    _MAX_LINE = 4096

    def __init__(self) -> None:
        self._buf = bytearray()
        self._left = 0
        self._state = _Inner.SIZE_LINE

    @property
    def needs_input(self) -> bool:
        # Ready without input only when buffered bytes can move us on: chunk data to
        # hand out, or a whole line to read.
        buf = self._buf
        if not buf or self._state is _Inner.DONE:
            return True
        return self._state is not _Inner.DATA and buf.find(b"\r\n") < 0

    def decompress(self, data: bytes, max_length: int) -> bytes:
        buf = self._buf
        buf += data
        out = bytearray()
        while buf and len(out) < max_length:
            state = self._state
            if state is _Inner.DATA:
                n = min(self._left, len(buf), max_length - len(out))
                out += buf[:n]
                del buf[:n]
                self._left -= n
                if not self._left:
                    self._state = _Inner.DATA_CRLF
            elif state is _Inner.DONE:
                raise DecompressionError(f"data after the last inner chunk: {shorten(buf)}")
            else:
                eol = buf.find(b"\r\n")
                if eol < 0:
                    if len(buf) > self._MAX_LINE:
                        raise DecompressionError(f"inner chunk line too long: {shorten(buf)}")
                    break
                line = bytes(buf[:eol])
                del buf[: eol + 2]
                if state is _Inner.DATA_CRLF:
                    if line:
                        raise DecompressionError(f"inner chunk not followed by CRLF: {shorten(line)}")
                    self._state = _Inner.SIZE_LINE
                elif state is _Inner.TRAILERS:
                    if not line:
                        self._state = _Inner.DONE
                else:
                    m = CHUNK_LINE.fullmatch(line)  # the outer parser's grammar
                    if m is None:
                        raise DecompressionError(f"invalid inner chunk size line: {shorten(line)}")
                    self._left = int(m.group(1), 16)
                    self._state = _Inner.DATA if self._left else _Inner.TRAILERS
        return bytes(out)

    def finish(self) -> None:
        if self._state is not _Inner.DONE:
            raise DecompressionError("the inner chunked coding ended early (body truncated)")


class _Chain:
    """Stacked encodings: the last one applied by the server is undone first."""

    __slots__ = ("_decoders", "_in")

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders
        self._in = b""  # input held while a later stage still has output to give

    @property
    def needs_input(self) -> bool:
        return not self._in and all(d.needs_input for d in self._decoders)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        # Start at the last stage that has output ready, so a stage is given input
        # only once it has handed out all it had: no stage piles up input between
        # calls (a gzip inside a gzip stays bounded).
        decoders = self._decoders
        first = 0
        for i in range(len(decoders) - 1, 0, -1):
            if not decoders[i].needs_input:
                first = i
                break
        if first:
            self._in += data
            out = decoders[first].decompress(b"", max_length)
        else:
            inp = self._in + data if self._in else data
            self._in = b""
            out = decoders[0].decompress(inp, max_length)
        for d in decoders[first + 1:]:
            out = d.decompress(out, max_length)
        return out

    def finish(self) -> None:
        if self._in:
            raise DecompressionError("stacked content codings ended with input left over")
        for d in self._decoders:
            d.finish()


def _one(encoding: str) -> Decoder | None:
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder(encoding)
    if encoding == "br":
        return _BrotliDecoder()
    if encoding == "zstd":
        return _ZstdDecoder()
    if encoding in ("identity", ""):
        return None
    if encoding == "chunked":
        # Only reachable for transfer codings: response_framing never lets a content
        # coding named chunked through.
        return _InnerChunkedDecoder()
    raise DecompressionError(f"unsupported content coding {encoding!r}")


def split_codings(value: str) -> list[str]:
    """The coding names of a Content-Encoding or Transfer-Encoding value, lower-cased."""
    return [c.strip().lower() for c in value.split(",") if c.strip()]


def decoder_for(codings: list[str]) -> Decoder | None:
    """A decoder undoing *codings* (in the order the sender applied them), or None."""
    decoders = [d for d in map(_one, reversed(codings)) if d is not None]
    if not decoders:
        return None
    if len(decoders) == 1:
        return decoders[0]
    return _Chain(decoders)


def make_decoder(content_encoding: str) -> Decoder | None:
    """Return a decoder for a Content-Encoding header value, or None for identity.

    Args:
        content_encoding: the header value, e.g. ``"gzip"`` or ``"deflate, br"``.

    Returns:
        A :class:`Decoder` undoing every coding, last applied first; None when
        nothing needs decoding.

    Raises:
        DecompressionError: an encoding is unknown.
        MissingDecoder: br or zstd without its optional package.
    """
    return decoder_for(split_codings(content_encoding))
