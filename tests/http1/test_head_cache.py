"""The parser remembers recent final heads: a repeated head must give exactly what a
fresh parse gives, per request method and decompression, and never skip the limits of
the parser that receives it."""

from __future__ import annotations

import pytest

import ketch_http1 as h1

HEAD = b"HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: 5\r\nX-Long: " + b"v" * 60 + b"\r\n\r\n"


def parse(data: bytes, method: str = "GET", limits: h1.Limits | None = None) -> list[h1.Event]:
    p = h1.ResponseParser(limits)
    p.start_response(method)
    return p.feed(data)


def test_a_repeated_head_gives_the_same_events_and_its_own_body() -> None:
    first = parse(HEAD + b"hello")
    second = parse(HEAD + b"world")
    assert [type(e) for e in second] == [h1.Response, h1.Data, h1.EndOfMessage]
    r1, r2 = first[0], second[0]
    assert isinstance(r1, h1.Response) and isinstance(r2, h1.Response)
    assert (r2.status, r2.reason, r2.raw_headers, r2.version, r2.keep_alive, r2.content_length) == (
        r1.status, r1.reason, r1.raw_headers, r1.version, r1.keep_alive, r1.content_length)
    assert dict(r2.headers) == dict(r1.headers)
    assert second[1] == h1.Data(b"world")


def test_the_same_head_after_head_has_no_body() -> None:
    assert [type(e) for e in parse(HEAD + b"hello")] == [h1.Response, h1.Data, h1.EndOfMessage]
    events = parse(HEAD, method="HEAD")
    assert [type(e) for e in events] == [h1.Response, h1.EndOfMessage]
    assert isinstance(events[0], h1.Response) and events[0].content_length == 0


def test_a_cached_head_is_still_refused_by_stricter_limits() -> None:
    parse(HEAD + b"hello")
    parse(HEAD + b"hello")
    with pytest.raises(h1.LimitExceeded) as info:
        parse(HEAD + b"hello", limits=h1.Limits(max_field_size=40))
    assert info.value.limit == "max_field_size"


def test_decompression_is_decided_per_request_not_per_cached_head() -> None:
    import gzip

    body = gzip.compress(b"payload")
    head = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n")
    raw = h1.ResponseParser()
    raw.start_response("GET", decompress=False)
    assert b"".join(e.data for e in raw.feed(head + body) if isinstance(e, h1.Data)) == body
    dec = h1.ResponseParser()
    dec.start_response("GET", decompress=True)
    assert b"".join(e.data for e in dec.feed(head + body) if isinstance(e, h1.Data)) == b"payload"


def test_a_cached_head_on_a_connection_marked_to_close_does_not_keep_it_alive() -> None:
    parse(HEAD + b"hello")  # cached, with keep-alive
    p = h1.ResponseParser()
    p.start_response("GET")
    p.close_after_response()  # e.g. the request body was not sent in full
    events = p.feed(HEAD + b"hello")
    head, end = events[0], events[-1]
    assert isinstance(head, h1.Response) and not head.keep_alive
    assert isinstance(end, h1.EndOfMessage) and not end.keep_alive
    assert not p.is_reusable
    again = parse(HEAD + b"hello")[0]  # the shared event was not changed by that
    assert isinstance(again, h1.Response) and again.keep_alive
