"""Content-Encoding decoders with bounded output per input chunk."""

from __future__ import annotations

import zlib
from typing import Protocol

from ._exceptions import DecompressionError, MissingDecoder

__all__ = ["Decoder", "make_decoder", "SUPPORTED_ENCODINGS"]


class Decoder(Protocol):
    def decompress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class _ZlibDecoder:
    """gzip, or deflate in its zlib wrapper, or raw deflate when the wrapper is absent."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)
        self._sniff = encoding == "deflate"

    def decompress(self, data: bytes) -> bytes:
        if self._sniff and data:
            self._sniff = False
            # Servers send raw deflate under "deflate" often enough that clients accept
            # it: a zlib header has CMF 0x?8 with (CMF*256+FLG) % 31 == 0.
            if len(data) < 2 or (data[0] & 0x0F) != 8 or ((data[0] << 8) | data[1]) % 31:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self._obj.decompress(data)
        except zlib.error as exc:
            raise DecompressionError(f"cannot decode {self._encoding} body: {exc}") from exc

    def flush(self) -> bytes:
        try:
            return self._obj.flush()
        except zlib.error as exc:
            raise DecompressionError(f"cannot decode {self._encoding} body: {exc}") from exc


class _BrotliDecoder:
    def __init__(self) -> None:
        try:
            import brotli
        except ImportError as exc:
            raise MissingDecoder(
                "the response is br-encoded; install ketch-http1[brotli] to decode it"
            ) from exc
        self._obj = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        try:
            out: bytes = self._obj.process(data)
        except Exception as exc:  # brotli raises its own error type
            raise DecompressionError(f"cannot decode br body: {exc}") from exc
        return out

    def flush(self) -> bytes:
        return b""


class _ZstdDecoder:
    def __init__(self) -> None:
        try:
            import zstandard
        except ImportError as exc:
            raise MissingDecoder(
                "the response is zstd-encoded; install ketch-http1[zstd] to decode it"
            ) from exc
        self._obj = zstandard.ZstdDecompressor().decompressobj()

    def decompress(self, data: bytes) -> bytes:
        try:
            out: bytes = self._obj.decompress(data)
        except Exception as exc:  # zstandard.ZstdError
            raise DecompressionError(f"cannot decode zstd body: {exc}") from exc
        return out

    def flush(self) -> bytes:
        return b""


class _Chain:
    """Stacked encodings: the last one applied by the server is undone first."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def decompress(self, data: bytes) -> bytes:
        for d in self._decoders:
            data = d.decompress(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for d in self._decoders:
            data = d.decompress(data) + d.flush() if data else d.flush()
        return data


SUPPORTED_ENCODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")


def _one(encoding: str) -> Decoder | None:
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder(encoding)
    if encoding == "br":
        return _BrotliDecoder()
    if encoding == "zstd":
        return _ZstdDecoder()
    if encoding in ("identity", ""):
        return None
    raise DecompressionError(f"unsupported Content-Encoding {encoding!r}")


def make_decoder(content_encoding: str) -> Decoder | None:
    """Return a decoder for a Content-Encoding header value, or None for identity.

    Raises:
        DecompressionError: an encoding is unknown.
        MissingDecoder: br or zstd without its optional package.
    """
    names = [e.strip().lower() for e in content_encoding.split(",")]
    decoders = [d for d in map(_one, reversed(names)) if d is not None]
    if not decoders:
        return None
    if len(decoders) == 1:
        return decoders[0]
    return _Chain(decoders)
