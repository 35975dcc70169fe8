"""ResponseParser behaviour beyond single events: reuse, tunnels, limits, errors."""

from __future__ import annotations

import pytest

import ketch_http1 as h1

from ._util import drive, outcome, splits


def test_headers_multidict_is_case_insensitive_and_utf8_surrogateescape() -> None:
    data = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-U: caf\xc3\xa9\r\nX-B: \xff\r\nContent-Length: 0\r\n\r\n"
    events, _ = drive([data])
    head = events[0]
    assert isinstance(head, h1.Response)
    assert head.headers.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert head.headers["x-u"] == "caf\u00e9"
    assert head.headers["X-B"].encode("utf-8", "surrogateescape") == b"\xff"


def test_keep_alive_connection_is_reusable_after_each_response() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    assert not parser.is_reusable  # a request is outstanding
    events = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert isinstance(events[-1], h1.EndOfMessage) and events[-1].keep_alive
    assert parser.is_reusable
    parser.start_response("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert not parser.is_reusable
    assert parser.state is h1.ParserState.DONE


def test_close_after_response_overrides_keep_alive() -> None:
    parser = h1.ResponseParser()
    parser.start_response("POST")
    parser.close_after_response()  # e.g. the body was not sent after a 417
    events = parser.feed(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(events[-1], h1.EndOfMessage) and not events[-1].keep_alive
    assert not parser.is_reusable


def test_100_continue_arrives_before_the_body_is_sent() -> None:
    parser = h1.ResponseParser()
    parser.start_response("PUT")
    events = parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert [type(e) for e in events] == [h1.InformationalResponse]
    assert parser.state is h1.ParserState.HEAD and not parser.is_reusable
    events = parser.feed(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
    assert [type(e) for e in events] == [h1.Response, h1.EndOfMessage]


@pytest.mark.parametrize(("method", "head"), [
    ("GET", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
    ("CONNECT", b"HTTP/1.1 200 Connection established\r\n\r\n"),
])
def test_switch_hands_back_the_following_bytes_untouched(method: str, head: bytes) -> None:
    tail = b"\x16\x03\x01\x00\x05HTTP/1.1 999 not parsed\r\n\r\n"
    for chunks in splits(head + tail):
        events, parser = drive(chunks, (method,))
        assert [type(e) for e in events] == [h1.Response]
        assert parser.state is h1.ParserState.SWITCHED
        assert parser.trailing_data() == tail
        assert not parser.is_reusable
        assert parser.feed_eof() == []


def test_bytes_fed_after_a_switch_are_kept_for_the_new_protocol() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nab")
    assert parser.feed(b"cd") == []
    assert parser.trailing_data() == b"abcd"
    assert parser.trailing_data() == b""


def test_pipelined_methods_are_matched_in_order() -> None:
    parser = h1.ResponseParser()
    parser.start_response("HEAD")
    parser.start_response("GET")
    events = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    assert [type(e) for e in events] == [h1.Response, h1.EndOfMessage, h1.Response, h1.Data, h1.EndOfMessage]


def test_second_response_after_close_is_refused_on_its_own_feed() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    parser.start_response("GET")
    events = parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(events[-1], h1.EndOfMessage) and not events[-1].keep_alive
    with pytest.raises(h1.RemoteProtocolError, match="after the last response"):
        parser.feed(b"HTTP/1.1 200 OK\r\n")


def test_parser_stays_failed_after_an_error() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    with pytest.raises(h1.RemoteProtocolError):
        parser.feed(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")
    assert parser.state is h1.ParserState.ERROR
    with pytest.raises(h1.RemoteProtocolError, match="failed earlier"):
        parser.feed(b"more")
    with pytest.raises(h1.RemoteProtocolError, match="failed earlier"):
        parser.feed_eof()


def test_errors_name_the_bad_bytes() -> None:
    with pytest.raises(h1.RemoteProtocolError, match=r"NUL in header line b'X-A: a\\x00b'"):
        drive([b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n"])
    with pytest.raises(h1.RemoteProtocolError, match="invalid chunk size line: b'0x5'"):
        drive([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n"])
    with pytest.raises(h1.IncompleteBody, match="after 3 of 10 body bytes") as info:
        drive([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], eof=True)
    assert (info.value.expected, info.value.received) == (10, 3)


def test_large_body_is_passed_through_without_copying() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n")
    piece = b"x" * 100000
    events = parser.feed(piece)
    assert len(events) == 1 and isinstance(events[0], h1.Data) and events[0].data is piece
    events = parser.feed(piece)
    assert events[0].data is piece and isinstance(events[1], h1.EndOfMessage)


def test_closed_before_any_response_gives_no_events() -> None:
    parser = h1.ResponseParser()
    parser.start_response("GET")
    assert parser.feed_eof() == []
    assert parser.state is h1.ParserState.CLOSED and not parser.is_reusable


# -- limits ------------------------------------------------------------------------

LIMIT_CASES = [
    ("max_line_size", h1.Limits(max_line_size=20), b"HTTP/1.1 200 " + b"R" * 30 + b"\r\n\r\n"),
    ("max_field_size", h1.Limits(max_field_size=20), b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 30 + b"\r\n\r\n"),
    ("max_headers", h1.Limits(max_headers=3), b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 4 + b"\r\n"),
    ("max_head_size", h1.Limits(max_head_size=60), b"HTTP/1.1 200 OK\r\n" + b"X-Some: value\r\n" * 5 + b"\r\n"),
    ("max_trailer_size", h1.Limits(max_trailer_size=30),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"X-T: 12345\r\n" * 4 + b"\r\n"),
    ("max_headers", h1.Limits(max_headers=2),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: 1\r\n" * 3 + b"\r\n"),
    ("max_line_size", h1.Limits(max_line_size=10),
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=long-value\r\nhello\r\n0\r\n\r\n"),
]


@pytest.mark.parametrize(("limit", "limits", "data"), LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_limit_exceeded_names_the_limit_at_any_split(limit: str, limits: h1.Limits, data: bytes) -> None:
    for chunks in splits(data):
        assert outcome(chunks, limits=limits) == ("error", "LimitExceeded", limit), chunks
    with pytest.raises(h1.LimitExceeded) as info:
        drive([data], limits=limits)
    assert info.value.value == getattr(limits, limit)
    assert info.value.actual > info.value.value
    assert limit in str(info.value)


def test_limit_on_an_endless_head_is_enforced_before_it_ends() -> None:
    parser = h1.ResponseParser(h1.Limits(max_field_size=100))
    parser.start_response("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\nX: ")
    with pytest.raises(h1.LimitExceeded) as info:
        for _ in range(50):
            parser.feed(b"a" * 10)
    assert info.value.limit == "max_field_size"


def test_limits_validate_and_follow_aiohttp_session_arguments() -> None:
    with pytest.raises(ValueError, match="max_headers"):
        h1.Limits(max_headers=0)
    limits = h1.Limits.from_session_args(max_line_size=100, max_field_size=100_000, max_headers=5)
    assert (limits.max_line_size, limits.max_field_size, limits.max_headers) == (100, 100_000, 5)
    assert limits.max_head_size >= 100_000 + 100
    value = b"v" * 90_000
    events, _ = drive([b"HTTP/1.1 200 OK\r\nX-Big: " + value + b"\r\nContent-Length: 0\r\n\r\n"], limits=limits)
    assert isinstance(events[0], h1.Response) and events[0].headers["X-Big"] == value.decode()


def test_parser_exposes_the_limits_it_applies() -> None:
    custom = h1.Limits(max_line_size=100, max_field_size=200)
    assert h1.ResponseParser(custom).limits is custom
    assert h1.ResponseParser().limits == h1.Limits()
