"""Property tests: fragmentation never matters, serialized messages round-trip, and
arbitrary bytes only ever raise ketch_http1's own errors."""

from __future__ import annotations

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

import ketch_http1 as h1

from ._util import drive, summarize

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(TOKEN_CHARS, min_size=1, max_size=12).filter(
    lambda n: n.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding",
                                "host", "trailer"))
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20) | st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_characters="\x7f"), max_size=10
).map(str.strip)
fields = st.lists(st.tuples(names, values), max_size=8)
bodies = st.binary(max_size=300)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """One to three pipelined responses with mixed framing, and the request methods."""
    out = b""
    methods = []
    for _ in range(draw(st.integers(1, 3))):
        status = draw(st.sampled_from([200, 201, 204, 304, 404, 500]))
        method = draw(st.sampled_from(["GET", "HEAD", "POST"]))
        hdrs = draw(fields)
        body = draw(bodies)
        interim = draw(st.booleans())
        head = b"HTTP/1.1 %d Reason\r\n" % status
        head += b"".join(n.encode() + b": " + v.encode() + b"\r\n" for n, v in hdrs)
        if interim:
            out += b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
        no_body = method == "HEAD" or status in (204, 304)
        if draw(st.booleans()):
            sizes = draw(st.lists(st.integers(1, 50), max_size=5))
            chunks = b""
            pos = 0
            for size in sizes:
                piece = body[pos:pos + size]
                pos += size
                if piece:
                    chunks += b"%x;ext=1\r\n%s\r\n" % (len(piece), piece)
            chunks += b"0\r\nX-Trailer: t\r\n\r\n"
            out += head + b"Transfer-Encoding: chunked\r\n\r\n" + (b"" if no_body else chunks)
        else:
            out += head + b"Content-Length: %d\r\n\r\n" % len(body) + (b"" if no_body else body)
        methods.append(method)
    return out, methods


@settings(max_examples=150, deadline=None)
@given(responses(), st.lists(st.integers(0, 2000), max_size=12))
def test_any_fragmentation_gives_the_same_events(case: tuple[bytes, list[str]], cuts: list[int]) -> None:
    data, methods = case
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    whole, parser = drive([data], methods)
    split, _ = drive(pieces, methods)
    assert summarize(split) == summarize(whole)
    assert sum(isinstance(e, h1.EndOfMessage) for e in whole) == len(methods)
    assert parser.is_reusable


@settings(max_examples=150, deadline=None)
@given(names.filter(lambda n: n.upper() not in ("HEAD", "CONNECT")), st.text(TOKEN_CHARS + "/?=&", min_size=1, max_size=30),
       fields, bodies, st.booleans())
def test_serialized_message_round_trips_through_the_parser(method: str, target: str, hdrs: list[tuple[str, str]],
                                                            body: bytes, chunked: bool) -> None:
    # The request head, re-shaped as a response (status line for request line), goes
    # through the response parser: fields and body must come back as they were sent.
    framing = [("Transfer-Encoding", "chunked")] if chunked else [("Content-Length", str(len(body)))]
    head = h1.serialize_head(method, "/" + target, hdrs + framing)
    request_line, _, rest = head.partition(b"\r\n")
    assert request_line == f"{method} /{target} HTTP/1.1".encode()
    if chunked:
        payload = h1.encode_chunk(body[:100]) + h1.encode_chunk(body[100:]) + h1.encode_last_chunk([("X-Sum", "1")])
    else:
        payload = body
    events, _ = drive([b"HTTP/1.1 200 OK\r\n" + rest + payload], (method,))
    resp = events[0]
    assert isinstance(resp, h1.Response)
    assert list(resp.headers.items()) == hdrs + framing
    assert b"".join(e.data for e in events if isinstance(e, h1.Data)) == body
    end = events[-1]
    assert isinstance(end, h1.EndOfMessage)
    assert end.raw_trailers == (((b"X-Sum", b"1"),) if chunked else ())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["GET", "HEAD", "CONNECT"]), st.booleans())
def test_random_bytes_raise_only_ketch_errors(data: bytes, method: str, decompress: bool) -> None:
    for prefix in (b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                   b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 30\r\n\r\n"):
        parser = h1.ResponseParser(h1.Limits(max_head_size=300, max_line_size=100))
        parser.start_response(method, decompress=decompress)
        try:
            parser.feed(prefix + data[:200])
            parser.feed(data[200:])
            parser.feed_eof()
        except h1.HTTP1Error:
            pass


PREFIXES = {
    "gzip": gzip.compress(b"payload")[:10],
    "deflate": b"\x78\x9c",
    "br": b"",
    "zstd": b"(\xb5/\xfd",
    "gzip, br": b"",
}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(PREFIXES)), st.binary(max_size=200), st.integers(1, 50))
def test_random_compressed_bodies_raise_only_decompression_errors(encoding: str, junk: bytes, step: int) -> None:
    body = PREFIXES[encoding] + junk
    data = (b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding.encode()
            + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    try:
        drive([data[i:i + step] for i in range(0, len(data), step)], decompress=True)
    except h1.DecompressionError:
        pass


field_values = st.text(st.sampled_from(list(" \t!:;,=/abcXYZ019\u00e9\u20ac")), max_size=15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(TOKEN_CHARS, min_size=1, max_size=8), field_values), min_size=1, max_size=10),
       st.sampled_from([5, 30, 8190]))
def test_fast_and_slow_field_parsing_agree(pairs: list[tuple[str, str]], max_field_size: int) -> None:
    from ketch_http1._exceptions import HTTP1Error
    from ketch_http1._headers import _parse_fields_slow, parse_fields

    block = b"".join(n.encode() + b":" + v.encode() + b"\r\n" for n, v in pairs)
    data = b"\r\n" + block + b"\r\n"

    def run(fn: object) -> object:
        try:
            if fn is parse_fields:
                headers, raw = parse_fields(data, 0, len(data) - 4, max_field_size, 128)
            else:
                headers, raw = _parse_fields_slow(block, max_field_size, 128, "header")
        except HTTP1Error as exc:
            return type(exc)
        return list(headers.items()), raw

    assert run(parse_fields) == run(_parse_fields_slow)
