"""MultipartWriter: exact RFC 2046 framing, header checks, encodings, streaming parts."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import pytest

import ketch
from tests.client._send import ok, send
from tests.client.test_formdata import parse_form
from tests.servers import HTTPServer


async def collect(p: ketch.Payload) -> bytes:
    return b"".join([c async for c in p.iter_chunks()])


async def test_exact_framing_of_a_mixed_body() -> None:
    with ketch.MultipartWriter("mixed", boundary="b0und") as mp:
        mp.append("hello")
        mp.append_json({"test": "passed"})
        mp.append_form([("key", "value")])
    assert mp.content_type == "multipart/mixed; boundary=b0und"
    assert mp.boundary == "b0und"
    assert len(mp) == 3
    expected = (
        b"--b0und\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\n"
        b"hello\r\n"
        b"--b0und\r\n"
        b"Content-Type: application/json\r\nContent-Length: 18\r\n\r\n"
        b'{"test": "passed"}\r\n'
        b"--b0und\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\n"
        b"key=value\r\n"
        b"--b0und--\r\n"
    )
    assert mp.body == expected
    assert mp.size == len(expected)
    assert await collect(mp) == expected
    async with HTTPServer(ok) as server:
        req = await send(server, mp)
    assert req.body == expected
    assert req.header("Content-Type") == "multipart/mixed; boundary=b0und"


def test_default_boundary_is_random_and_valid() -> None:
    a, b = ketch.MultipartWriter(), ketch.MultipartWriter()
    assert a.boundary != b.boundary
    assert len(a.boundary) == 32


@pytest.mark.parametrize("boundary", ["", "x" * 71, "bad\r\nboundary", "a;b", "ends with space ", "é"])
def test_invalid_boundaries_are_refused(boundary: str) -> None:
    with pytest.raises(ValueError, match="boundary"):
        ketch.MultipartWriter(boundary=boundary)


def test_boundary_outside_token_chars_is_quoted() -> None:
    mp = ketch.MultipartWriter("mixed", boundary="a b:c=d")
    assert mp.content_type == 'multipart/mixed; boundary="a b:c=d"'


async def test_nested_multipart_parses_back() -> None:
    outer = ketch.MultipartWriter("mixed")
    outer.append("top")
    with ketch.MultipartWriter("related") as inner:
        inner.append_json({"x": 1})
        inner.append(b"\x00\xff", {"Content-Type": "image/png"})
    outer.append(inner)
    assert outer.content_type is not None and outer.body is not None
    top, nested = parse_form(outer.content_type, outer.body)
    assert top.get_payload(decode=True) == b"top"
    assert nested.get_content_type() == "multipart/related"
    j, png = nested.iter_parts()
    assert json.loads(j.get_payload(decode=True)) == {"x": 1}  # type: ignore[union-attr,arg-type]
    assert png.get_content_type() == "image/png"
    assert png.get_payload(decode=True) == b"\x00\xff"


@pytest.mark.parametrize("header", ["X-Custom", "Content-Type", "Content-Disposition"])
async def test_crlf_in_a_custom_part_header_is_refused_before_sending(header: str) -> None:
    mp = ketch.MultipartWriter("form-data")
    part = mp.append("v")
    part.set_content_disposition("form-data", name="field")
    part.headers[header] = "form-data; name=\"x\"\r\nX-Injected: 1"
    with pytest.raises(ValueError, match=header):
        _ = mp.size
    with pytest.raises(ValueError, match=header):
        _ = mp.body
    with pytest.raises(ValueError, match=header):
        await collect(mp)


def test_crlf_in_set_content_disposition_is_refused() -> None:
    part = ketch.BytesPayload(b"x")
    with pytest.raises(ValueError, match="'filename'"):
        part.set_content_disposition("attachment", filename="a\r\nb")
    with pytest.raises(ValueError, match="disposition type"):
        part.set_content_disposition("attach ment")


def test_form_data_parts_get_default_names_and_refuse_rfc7578_headers() -> None:
    mp = ketch.MultipartWriter("form-data", boundary="x")
    mp.append("a")
    mp.append("b")
    assert mp.body is not None
    assert b'form-data; name="section-0"' in mp.body
    assert b'form-data; name="section-1"' in mp.body
    assert b"Content-Length" not in mp.body
    for name in ("Content-Length", "Content-Encoding", "Content-Transfer-Encoding"):
        with pytest.raises(ValueError, match=name):
            mp.append("c", {name: "1"})


async def test_encoded_parts_are_compressed_and_base64_encoded() -> None:
    data = b"compressible " * 3000
    mp = ketch.MultipartWriter("mixed")
    mp.append(data, {"Content-Encoding": "gzip", "Content-Transfer-Encoding": "base64"})
    mp.append(b"caf\xc3\xa9 = ok\n" * 3, {"Content-Transfer-Encoding": "quoted-printable"})
    assert mp.size is None and mp.body is None  # encoded: sent chunked
    async with HTTPServer(ok) as server:
        req = await send(server, mp)
    assert req.header("Transfer-Encoding") == "chunked"
    assert mp.content_type is not None
    gz, qp = parse_form(mp.content_type, req.body)
    assert gzip.decompress(gz.get_payload(decode=True)) == data  # type: ignore[arg-type]
    assert b"caf=C3=A9 =3D ok" in req.body
    assert qp.get_payload(decode=True) == b"caf\xc3\xa9 = ok\n" * 3


def test_unknown_part_encodings_are_refused() -> None:
    mp = ketch.MultipartWriter()
    with pytest.raises(ValueError, match="'br'"):
        mp.append(b"x", {"Content-Encoding": "br"})
    with pytest.raises(ValueError, match="'7bit-ish'"):
        mp.append(b"x", {"Content-Transfer-Encoding": "7bit-ish"})


async def test_streamed_part_makes_the_body_chunked_and_not_replayable() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"streamed "
        yield b"part"

    mp = ketch.MultipartWriter("form-data", boundary="zz")
    mp.append("first").set_content_disposition("form-data", name="a")
    mp.append(gen()).set_content_disposition("form-data", name="b", filename="s.bin")
    assert mp.size is None and mp.body is None
    assert not mp.is_replayable
    async with HTTPServer(ok) as server:
        req = await send(server, mp)
    assert req.body.endswith(b"\r\n\r\nstreamed part\r\n--zz--\r\n")
    a, b = parse_form("multipart/form-data; boundary=zz", req.body)
    assert a.get_payload(decode=True) == b"first"
    assert b.get_filename() == "s.bin"
    assert b.get_payload(decode=True) == b"streamed part"


def test_append_refuses_unsupported_objects() -> None:
    with pytest.raises(TypeError, match="Cannot create payload"):
        ketch.MultipartWriter().append(object())
