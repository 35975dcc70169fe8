"""Request serialization: heads, framing checks, chunked bodies, Host values."""

from __future__ import annotations

import pytest

import ketch_http1 as h1


def test_head_is_request_line_fields_and_blank_line() -> None:
    head = h1.serialize_head("GET", "/a?b=1", [("Host", "example.com"), ("X-A", "v")])
    assert head == b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nX-A: v\r\n\r\n"
    assert h1.serialize_head("GET", "/", {"Host": "h"}, (1, 0)) == b"GET / HTTP/1.0\r\nHost: h\r\n\r\n"


def test_non_ascii_values_are_utf8_and_received_bytes_round_trip() -> None:
    assert b"X: caf\xc3\xa9\r\n" in h1.serialize_head("GET", "/", [("X", "caf\u00e9")])
    value = b"\xff\xfe".decode("utf-8", "surrogateescape")
    assert b"X: \xff\xfe\r\n" in h1.serialize_head("GET", "/", [("X", value)])


@pytest.mark.parametrize(("method", "target", "headers"), [
    ("GET\r\n", "/", []),
    ("GET", "/\r\nX: y", []),
    ("GET", "/a b", []),
    ("GET", "/\x00", []),
    ("GET", "", []),
    ("GE T", "/", []),
    ("", "/", []),
    ("GET", "/", [("X-A", "v\r\nInjected: 1")]),
    ("GET", "/", [("X-A", "v\nInjected: 1")]),
    ("GET", "/", [("X-A", "v\rx")]),
    ("GET", "/", [("X-A", "v\x00")]),
    ("GET", "/", [("X A", "v")]),
    ("GET", "/", [("X-A:", "v")]),
    ("GET", "/", [("X-A\r\n", "v")]),
    ("GET", "/", [("", "v")]),
    ("GET", "/", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")]),
    ("GET", "/", [("Content-Length", "-1")]),
    ("GET", "/", [("Content-Length", "5 ")]),
    ("GET", "/", [("Transfer-Encoding", "chunked, gzip")]),
    ("GET", "/", [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]),
])
def test_invalid_parts_raise_value_error_before_any_byte(method: str, target: str,
                                                         headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError) as info:
        h1.serialize_head(method, target, headers)
    assert isinstance(info.value, h1.LocalProtocolError)


def test_unsupported_version_is_refused() -> None:
    with pytest.raises(h1.LocalProtocolError, match="version"):
        h1.serialize_head("GET", "/", [], (2, 0))


def test_chunked_body_with_trailers() -> None:
    body = h1.encode_chunk(b"hello") + h1.encode_chunk(b"") + h1.encode_chunk(b"x" * 300)
    body += h1.encode_last_chunk([("X-Checksum", "abc")])
    assert body.startswith(b"5\r\nhello\r\n12c\r\n")
    assert body.endswith(b"0\r\nX-Checksum: abc\r\n\r\n")
    assert h1.encode_last_chunk() == b"0\r\n\r\n"


@pytest.mark.parametrize("trailer", [("Content-Length", "1"), ("Host", "x"), ("Bad Name", "v"), ("X", "a\r\nb")])
def test_invalid_trailers_are_refused(trailer: tuple[str, str]) -> None:
    with pytest.raises(h1.LocalProtocolError):
        h1.encode_last_chunk([trailer])


@pytest.mark.parametrize(("host", "port", "default", "expected"), [
    ("example.com", None, 80, "example.com"),
    ("example.com", 80, 80, "example.com"),
    ("example.com", 8080, 80, "example.com:8080"),
    ("example.com", 443, 80, "example.com:443"),
    ("127.0.0.1", 443, 443, "127.0.0.1"),
    ("::1", 8443, 443, "[::1]:8443"),
    ("[::1]", 443, 443, "[::1]"),
    ("fe80::1%eth0", None, 80, "[fe80::1]"),
])
def test_host_header(host: str, port: int | None, default: int | None, expected: str) -> None:
    assert h1.host_header(host, port, default) == expected


@pytest.mark.parametrize(("host", "port"), [("a b", None), ("a\r\nX: y", None), ("a/b", None), ("", None),
                                            ("::g", None), ("h", 70000), ("h", 0)])
def test_bad_host_values_are_refused(host: str, port: int | None) -> None:
    with pytest.raises(h1.LocalProtocolError):
        h1.host_header(host, port, 80)


def test_expect_100_continue_flow_with_the_parser() -> None:
    head = h1.serialize_head("PUT", "/up", [("Host", "h"), ("Expect", "100-continue"), ("Content-Length", "4")])
    assert b"Expect: 100-continue\r\n" in head
    parser = h1.ResponseParser()
    parser.start_response("PUT")
    assert [type(e) for e in parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n")] == [h1.InformationalResponse]
    # ... the body goes out now; then the final response.
    events = parser.feed(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert [type(e) for e in events] == [h1.Response, h1.EndOfMessage] and parser.is_reusable
