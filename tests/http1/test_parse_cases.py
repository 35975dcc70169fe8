"""Table-driven response parsing: every case fed whole, split at every byte, and byte by byte.

Each valid case lists the events expected (see ``_util.summarize``); each invalid case
the error. Either way the outcome must not depend on how the bytes arrived.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from ._util import outcome, splits

CL0 = b"Content-Length: 0\r\n"


def resp(status: int, reason: str, raw: tuple[tuple[bytes, bytes], ...], version: tuple[int, int] = (1, 1),
         keep: bool = True, chunked: bool = False, length: int | None = 0) -> tuple[Any, ...]:
    return ("resp", status, reason, raw, version, keep, chunked, length)


def end(keep: bool = True, trailers: tuple[tuple[bytes, bytes], ...] = ()) -> tuple[Any, ...]:
    return ("end", trailers, keep)


# (id, methods, bytes, eof, expected events)
VALID: list[tuple[str, tuple[str, ...], bytes, bool, list[tuple[Any, ...]]]] = [
    ("content-length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", False,
     [resp(200, "OK", ((b"Content-Length", b"5"),), length=5), ("data", b"hello"), end()]),
    ("empty reason", ("GET",), b"HTTP/1.1 200 \r\n" + CL0 + b"\r\n", False,
     [resp(200, "", ((b"Content-Length", b"0"),)), end()]),
    ("missing reason", ("GET",), b"HTTP/1.1 204\r\n\r\n", False,
     [resp(204, "", ()), end()]),
    ("reason with spaces and obs-text", ("GET",), b"HTTP/1.1 404 Not \xc3\xa9 Found\r\n" + CL0 + b"\r\n", False,
     [resp(404, "Not \u00e9 Found", ((b"Content-Length", b"0"),)), end()]),
    ("values trimmed, case kept", ("GET",), b"HTTP/1.1 200 OK\r\nX-A:   v  \t\r\nx-b:\r\ncontent-length:0\r\n\r\n", False,
     [resp(200, "OK", ((b"X-A", b"v"), (b"x-b", b""), (b"content-length", b"0"))), end()]),
    ("obs-fold joined with SP", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n\tthree\r\n" + CL0 + b"\r\n", False,
     [resp(200, "OK", ((b"X-A", b"one two three"), (b"Content-Length", b"0"))), end()]),
    ("HEAD has no body", ("HEAD",), b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", False,
     [resp(200, "OK", ((b"Content-Length", b"99"),)), end()]),
    ("304 has no body", ("GET",), b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", False,
     [resp(304, "Not Modified", ((b"Transfer-Encoding", b"chunked"),)), end()]),
    ("204 ignores Content-Length", ("GET",), b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", False,
     [resp(204, "No Content", ((b"Content-Length", b"7"),)), end()]),
    ("identical Content-Length values", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc", False,
     [resp(200, "OK", ((b"Content-Length", b"3, 3"), (b"Content-Length", b"3")), length=3), ("data", b"abc"), end()]),
    ("chunked with extensions and trailers", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5;name=value;flag\r\nhello\r\n6 ; q=\"a \\\" b\"\r\n world\r\nA\r\n0123456789\r\n0;x=y\r\nX-Checksum: abc\r\nX-Other:  2 \r\n\r\n", False,
     [resp(200, "OK", ((b"Transfer-Encoding", b"chunked"),), chunked=True, length=None),
      ("data", b"hello"), ("chunk-end",), ("data", b" world"), ("chunk-end",),
      ("data", b"0123456789"), ("chunk-end",), end(trailers=((b"X-Checksum", b"abc"), (b"X-Other", b"2")))]),
    ("chunked, upper-case hex and leading zeros", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00B\r\nhello world\r\n000\r\n\r\n", False,
     [resp(200, "OK", ((b"Transfer-Encoding", b"chunked"),), chunked=True, length=None),
      ("data", b"hello world"), ("chunk-end",), end()]),
    ("TE and CL: chunked wins, no reuse", ("GET",),
     b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", False,
     [resp(200, "OK", ((b"Content-Length", b"100"), (b"Transfer-Encoding", b"chunked")), keep=False,
           chunked=True, length=None), ("data", b"ok"), ("chunk-end",), end(False)]),
    ("HTTP/1.0 with Transfer-Encoding: framing faulty, no reuse", ("GET",),
     b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", False,
     [resp(200, "OK", ((b"Connection", b"keep-alive"), (b"Transfer-Encoding", b"chunked")), (1, 0), keep=False,
           chunked=True, length=None), ("data", b"x"), ("chunk-end",), end(False)]),
    ("obs-fold in a trailer", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n", False,
     [resp(200, "OK", ((b"Transfer-Encoding", b"chunked"),), chunked=True, length=None),
      end(trailers=((b"X-T", b"a b"),))]),
    ("read until close", ("GET",), b"HTTP/1.1 200 OK\r\n\r\nsome body", True,
     [resp(200, "OK", (), keep=False, length=None), ("data", b"some body"), end(False)]),
    # RFC 9112 §6.3 (4): chunked not final, so the body runs to the close; the chunk
    # framing the server applied before gzip is undone with the other codings.
    ("chunked not final: read until close", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
     + gzip.compress(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: t\r\n\r\n", mtime=0), True,
     [resp(200, "OK", ((b"Transfer-Encoding", b"chunked, gzip"),), keep=False, length=None),
      ("data", b"hello world"), end(False)]),
    ("TE without chunked: read until close", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nbody", True,
     [resp(200, "OK", ((b"Transfer-Encoding", b"identity"),), keep=False, length=None), ("data", b"body"), end(False)]),
    ("HTTP/1.0 closes by default", ("GET",), b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", False,
     [resp(200, "OK", ((b"Content-Length", b"1"),), (1, 0), keep=False, length=1), ("data", b"x"), end(False)]),
    ("HTTP/1.0 keep-alive", ("GET",), b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", False,
     [resp(200, "OK", ((b"Connection", b"Keep-Alive"), (b"Content-Length", b"1")), (1, 0), length=1),
      ("data", b"x"), end()]),
    ("Connection: close token in a list", ("GET",), b"HTTP/1.1 200 OK\r\nConnection: upgrade, Close\r\n" + CL0 + b"\r\n", False,
     [resp(200, "OK", ((b"Connection", b"upgrade, Close"), (b"Content-Length", b"0")), keep=False), end(False)]),
    ("HTTP/1.2 is handled as 1.1", ("GET",), b"HTTP/1.2 200 OK\r\n" + CL0 + b"\r\n", False,
     [resp(200, "OK", ((b"Content-Length", b"0"),)), end()]),
    ("100 then 103 then final", ("GET",),
     b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False,
     [("info", 100, "Continue", (), (1, 1)), ("info", 103, "Early Hints", ((b"Link", b"</s.css>; rel=preload"),), (1, 1)),
      resp(200, "OK", ((b"Content-Length", b"2"),), length=2), ("data", b"ok"), end()]),
    ("417 answers Expect: 100-continue", ("POST",), b"HTTP/1.1 417 Expectation Failed\r\n" + CL0 + b"\r\n", False,
     [resp(417, "Expectation Failed", ((b"Content-Length", b"0"),)), end()]),
    ("101 switches protocols", ("GET",), b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", False,
     [resp(101, "Switching Protocols", ((b"Upgrade", b"websocket"),), keep=False, length=None)]),
    ("2xx to CONNECT is a tunnel", ("CONNECT",), b"HTTP/1.1 200 Connection established\r\n\r\n", False,
     [resp(200, "Connection established", (), keep=False, length=None)]),
    ("407 to CONNECT has a body", ("CONNECT",), b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno", False,
     [resp(407, "Proxy Auth", ((b"Content-Length", b"2"),), length=2), ("data", b"no"), end()]),
    ("pipelined responses in order", ("GET", "HEAD", "GET"),
     b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
     b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n", False,
     [resp(200, "OK", ((b"Content-Length", b"1"),), length=1), ("data", b"a"), end(),
      resp(200, "OK", ((b"Content-Length", b"5"),)), end(),
      resp(201, "Created", ((b"Transfer-Encoding", b"chunked"),), chunked=True, length=None),
      ("data", b"c"), ("chunk-end",), end()]),
    ("raw bytes kept, non-UTF-8 values", ("GET",), b"HTTP/1.1 200 OK\r\nX-Bin: \xff\xfe\r\n" + CL0 + b"\r\n", False,
     [resp(200, "OK", ((b"X-Bin", b"\xff\xfe"), (b"Content-Length", b"0"))), end()]),
]

# (id, methods, bytes, eof, expected error)
INVALID: list[tuple[str, tuple[str, ...], bytes, bool, tuple[str, ...]]] = [
    ("not HTTP", ("GET",), b"HTTX/1.1 200 OK\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("HTTP/2 status line", ("GET",), b"HTTP/2 200 OK\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("HTTP/2.0", ("GET",), b"HTTP/2.0 200 OK\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("two-digit status", ("GET",), b"HTTP/1.1 20 OK\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("status out of range", ("GET",), b"HTTP/1.1 099 Low\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("status 600", ("GET",), b"HTTP/1.1 600 High\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("no SP after version", ("GET",), b"HTTP/1.1\t200 OK\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("NUL in reason", ("GET",), b"HTTP/1.1 200 O\x00K\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("space before colon", ("GET",), b"HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("no colon", ("GET",), b"HTTP/1.1 200 OK\r\nX-A b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("empty name", ("GET",), b"HTTP/1.1 200 OK\r\n: b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("bad name char", ("GET",), b"HTTP/1.1 200 OK\r\nX(A): b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("NUL in value", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("bare CR in value", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("bare LF line end", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("LF-only line endings", ("GET",), b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", False, ("error", "RemoteProtocolError")),
    ("LF-only end of head", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 0\n\n", False, ("error", "RemoteProtocolError")),
    ("LF-only chunk line", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\n5\nhello", False, ("error", "RemoteProtocolError")),
    ("CTL in value", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: a\x07b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("DEL in value", ("GET",), b"HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("whitespace before first field", ("GET",), b"HTTP/1.1 200 OK\r\n X-A: b\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("differing Content-Length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", False, ("error", "RemoteProtocolError")),
    ("Content-Length list differs", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nxx", False, ("error", "RemoteProtocolError")),
    ("signed Content-Length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", False, ("error", "RemoteProtocolError")),
    ("hex Content-Length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 0x1\r\n\r\nx", False, ("error", "RemoteProtocolError")),
    ("empty Content-Length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("huge Content-Length", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789012\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size 0x", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size sign", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size leading space", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size trailing space", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size underscore", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk size too long", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n", False, ("error", "RemoteProtocolError")),
    ("empty chunk size", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("bad chunk extension", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n", False, ("error", "RemoteProtocolError")),
    ("chunk without CRLF", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("bad trailer", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunked twice", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("chunked not final, inner framing cut short", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" + gzip.compress(b"5\r\nhel", mtime=0), True,
     ("error", "DecompressionError")),
    ("chunked not final, inner chunk extension malformed", ("GET",),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
     + gzip.compress(b'5;=;"\r\nhello\r\n0\r\n\r\n', mtime=0), True,
     ("error", "DecompressionError")),
    ("unknown transfer coding", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo, chunked\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("closed inside head", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Le", True, ("error", "RemoteProtocolError")),
    ("closed inside body", ("GET",), b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", True, ("error", "IncompleteBody")),
    ("closed inside chunk", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", True, ("error", "IncompleteBody")),
    ("closed before trailers end", ("GET",), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", True, ("error", "IncompleteBody")),
    ("interim response without request", (), b"HTTP/1.1 100 Continue\r\n\r\n", False, ("error", "RemoteProtocolError")),
    ("response without request", (), b"HTTP/1.1 200 OK\r\n" + CL0 + b"\r\n", False, ("error", "RemoteProtocolError")),
    ("second response after close", ("GET", "GET"),
     b"HTTP/1.1 200 OK\r\nConnection: close\r\n" + CL0 + b"\r\nHTTP/1.1 200 OK\r\n" + CL0 + b"\r\n", True, ("error", "RemoteProtocolError")),
]


@pytest.mark.parametrize(("methods", "data", "eof", "expected"),
                         [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_case_any_split(methods: tuple[str, ...], data: bytes, eof: bool,
                              expected: list[tuple[Any, ...]]) -> None:
    for chunks in splits(data):
        assert outcome(chunks, methods, eof=eof) == expected, chunks


@pytest.mark.parametrize(("methods", "data", "eof", "expected"),
                         [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_case_any_split(methods: tuple[str, ...], data: bytes, eof: bool,
                                expected: tuple[str, ...]) -> None:
    for chunks in splits(data):
        assert outcome(chunks, methods, eof=eof) == expected, chunks
