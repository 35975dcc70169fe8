"""Content-Encoding and transfer-coding decoding, bounded output, missing extras."""

from __future__ import annotations

import gzip
import importlib
import sys
import zlib

import pytest

import ketch_http1 as h1

from ._util import drive, summarize

# Made once with the real codecs, so the tests also run where the extras are absent.
BR_BODY = b"\x1b\x03\x01\xf8\x1d\xa9S\x9f\xbbp-V\x86&'A\xd8\xe8\x92-\xed-\x06\x8c\x06\x8ee\xc6/"
BR_TEXT = b"hello brotli " * 20
ZSTD_BODY = b"(\xb5/\xfd \xdc\x95\x00\x00Xhello zstd \x01\x00NS\xc5\x0b"
ZSTD_TEXT = b"hello zstd " * 20


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


HAVE_BROTLI = _importable("brotli")
HAVE_ZSTD = _importable("compression.zstd") or _importable("backports.zstd")


def response(encoding: str, body: bytes, *, chunked: bool = False) -> bytes:
    if chunked:
        framed = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
        return (b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding.encode()
                + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n")
    return (b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding.encode()
            + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def body_of(events: list[h1.Event]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, h1.Data))


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


TEXT = b"The quick brown fox jumps over the lazy dog. " * 50
ZLIB_CASES = [
    ("gzip", gzip.compress(TEXT)),
    ("x-gzip", gzip.compress(TEXT)),
    ("deflate", zlib.compress(TEXT)),
    ("deflate", raw_deflate(TEXT)),  # raw deflate sent as "deflate"
    ("gzip", gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])),  # two gzip members
    ("deflate, gzip", gzip.compress(zlib.compress(TEXT))),  # stacked: gzip undone first
    ("identity, gzip", gzip.compress(TEXT)),
]


@pytest.mark.parametrize(("encoding", "body"), ZLIB_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ZLIB_CASES)])
@pytest.mark.parametrize("chunked", [False, True])
def test_zlib_codings_decode_at_any_split(encoding: str, body: bytes, chunked: bool) -> None:
    data = response(encoding, body, chunked=chunked)
    whole, parser = drive([data], decompress=True)
    assert body_of(whole) == TEXT
    assert parser.is_reusable
    for step in (1, 5, 97):
        events, _ = drive([data[i:i + step] for i in range(0, len(data), step)], decompress=True)
        assert body_of(events) == TEXT


def test_decompression_off_passes_the_body_as_sent() -> None:
    body = gzip.compress(TEXT)
    events, _ = drive([response("gzip", body)], decompress=False)
    assert body_of(events) == body


def test_unknown_content_coding_is_passed_through() -> None:
    events, _ = drive([response("compress", b"\x1f\x9d...")], decompress=True)
    assert body_of(events) == b"\x1f\x9d..."


def test_transfer_coding_gzip_is_always_decoded() -> None:
    body = gzip.compress(TEXT)
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    events, _ = drive([data], decompress=False)
    assert body_of(events) == TEXT


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_truncated_stream_is_an_error(encoding: str) -> None:
    body = (gzip.compress if encoding == "gzip" else zlib.compress)(TEXT)[:-10]
    with pytest.raises(h1.DecompressionError, match="ended early"):
        drive([response(encoding, body)], decompress=True)


def test_corrupt_stream_is_an_error() -> None:
    with pytest.raises(h1.DecompressionError, match="cannot decode gzip"):
        drive([response("gzip", b"\x1f\x8bnot really gzip at all")], decompress=True)


def test_garbage_after_gzip_stream_is_an_error() -> None:
    with pytest.raises(h1.DecompressionError, match="after the end"):
        drive([response("gzip", gzip.compress(TEXT) + b"junk")], decompress=True)


def test_empty_body_with_content_encoding_is_fine() -> None:
    events, _ = drive([response("gzip", b"")], decompress=True)
    assert body_of(events) == b"" and isinstance(events[-1], h1.EndOfMessage)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_decompression_bomb_output_is_bounded_per_call(encoding: str) -> None:
    plain = b"\0" * (20 * 1024 * 1024)
    body = (gzip.compress if encoding == "gzip" else zlib.compress)(plain, 9)
    limits = h1.Limits(max_decompressed_chunk=65536)
    parser = h1.ResponseParser(limits)
    parser.start_response("GET", decompress=True)
    events = parser.feed(response(encoding, body))
    total = 0
    calls = 1
    while True:
        produced = sum(len(e.data) for e in events if isinstance(e, h1.Data))
        assert produced <= 65536  # per call, however much the input expands
        total += produced
        if not parser.output_pending:
            break
        events = parser.feed(b"")
        calls += 1
        assert calls < 1000
    assert total == len(plain)
    assert isinstance(events[-1], h1.EndOfMessage)


def test_bounded_output_at_eof_for_read_until_close_body() -> None:
    plain = b"a" * 1_000_000
    body = gzip.compress(plain)
    parser = h1.ResponseParser(h1.Limits(max_decompressed_chunk=100_000))
    parser.start_response("GET", decompress=True)
    events = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + body)
    for _ in range(100):
        if not parser.output_pending:
            break
        events += parser.feed(b"")
    events += parser.feed_eof()
    for _ in range(100):
        if not parser.output_pending:
            break
        more = parser.feed_eof()
        assert sum(len(e.data) for e in more if isinstance(e, h1.Data)) <= 100_000
        events += more
    assert body_of(events) == plain
    assert isinstance(events[-1], h1.EndOfMessage) and parser.state is h1.ParserState.CLOSED


def test_br_decodes_or_names_the_missing_extra() -> None:
    if HAVE_BROTLI:
        events, _ = drive([response("br", BR_BODY)], decompress=True)
        assert body_of(events) == BR_TEXT
        events, _ = drive([response("br", BR_BODY, chunked=True)], decompress=True)
        assert body_of(events) == BR_TEXT
    else:
        with pytest.raises(h1.MissingDecoder, match=r"ketch-http1\[brotli\]"):
            drive([response("br", BR_BODY)], decompress=True)


def test_zstd_decodes_or_names_the_missing_extra() -> None:
    if HAVE_ZSTD:
        events, _ = drive([response("zstd", ZSTD_BODY + ZSTD_BODY)], decompress=True)
        assert body_of(events) == ZSTD_TEXT * 2  # two frames
    else:
        with pytest.raises(h1.MissingDecoder, match=r"ketch-http1\[zstd\]"):
            drive([response("zstd", ZSTD_BODY)], decompress=True)


def test_missing_extras_raise_missing_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail, as when the package is absent.
    monkeypatch.setitem(sys.modules, "brotli", None)
    monkeypatch.setitem(sys.modules, "compression.zstd", None)
    monkeypatch.setitem(sys.modules, "backports.zstd", None)
    with pytest.raises(h1.MissingDecoder, match="brotli"):
        h1.make_decoder("br")
    with pytest.raises(h1.MissingDecoder, match="zstd"):
        h1.make_decoder("zstd")
    assert issubclass(h1.MissingDecoder, h1.DecompressionError)


# brotli.compress(b"b" * 8 MiB): 14 bytes that expand 600 000-fold.
BR_BOMB = b"\xcb\xff\xff?\xf8%\xc4\xe2\xb1@ \xf7\xfeo"


def test_br_bomb_output_is_bounded_per_call() -> None:
    parser = h1.ResponseParser(h1.Limits(max_decompressed_chunk=50_000))
    parser.start_response("GET", decompress=True)
    if not HAVE_BROTLI:
        with pytest.raises(h1.MissingDecoder):
            parser.feed(response("br", BR_BOMB))
        return
    events = parser.feed(response("br", BR_BOMB))
    total = 0
    for _ in range(10_000):
        produced = [len(e.data) for e in events if isinstance(e, h1.Data)]
        assert sum(produced) <= 50_000
        total += sum(produced)
        if not parser.output_pending:
            break
        events = parser.feed(b"")
    assert total == 8 * 1024 * 1024
    assert isinstance(events[-1], h1.EndOfMessage)


def test_make_decoder_contract() -> None:
    assert h1.make_decoder("identity") is None
    with pytest.raises(h1.DecompressionError, match="unsupported"):
        h1.make_decoder("lzma")
    dec = h1.make_decoder("gzip")
    assert dec is not None
    data = gzip.compress(b"x" * 10_000)
    out = dec.decompress(data, 1000)
    assert len(out) == 1000 and not dec.needs_input
    while not dec.needs_input:
        out += dec.decompress(b"", 1000)
    assert out == b"x" * 10_000
    dec.finish()


def test_events_summary_is_the_same_for_whole_and_split_compressed_chunks() -> None:
    data = response("gzip", gzip.compress(TEXT), chunked=True)
    whole = summarize(drive([data], decompress=True)[0])
    split = summarize(drive([data[i:i + 3] for i in range(0, len(data), 3)], decompress=True)[0])
    assert b"".join(x[1] for x in whole if x[0] == "data") == TEXT
    assert b"".join(x[1] for x in split if x[0] == "data") == TEXT


def test_nested_bomb_keeps_every_stage_bounded() -> None:
    # gzip inside gzip: 64 MiB of zeros in a few kilobytes.
    plain_size = 64 * 1024 * 1024
    inner = gzip.compress(b"\0" * plain_size, 9)
    body = gzip.compress(inner, 9)
    parser = h1.ResponseParser(h1.Limits(max_decompressed_chunk=1 << 20))
    parser.start_response("GET", decompress=True)
    events = parser.feed(response("gzip, gzip", body))
    total = 0
    for _ in range(1000):
        produced = sum(len(e.data) for e in events if isinstance(e, h1.Data))
        assert produced <= 1 << 20
        total += produced
        if not parser.output_pending:
            break
        events = parser.feed(b"")
    assert total == plain_size
    assert isinstance(events[-1], h1.EndOfMessage)
