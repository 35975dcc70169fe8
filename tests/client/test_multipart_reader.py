"""MultipartReader / BodyPartReader: RFC 2046 §5.1 framing read from real loopback
responses (split at every byte), a MultipartWriter round trip, decoding, streaming,
and clear errors for broken bodies."""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import random
import zlib
from typing import Any

import pytest

import ketch
from tests.servers import HTTPServer, Reply, Request

BOUNDARY = "b0und"
CTYPE = f"multipart/mixed; boundary={BOUNDARY}"
# A preamble, a part whose body holds "--b0und" not after CRLF and a near-delimiter,
# an empty part without headers, a part with no CRLF before its body, and an epilogue.
SMALL = (
    b"preamble line\r\n--b0unde is not it\r\n"
    b"--b0und\r\n"
    b"Content-Type: text/plain\r\nX-Note: one\r\n\r\n"
    b"a--b0und b\r\n-b0und \r\n--b0un\r\nend"
    b"\r\n--b0und  \t\r\n"
    b"\r\n"
    b"\r\n--b0und\r\n"
    b"X-Empty: yes\r\n\r\n"
    b"--b0und--\r\nepilogue --b0und\r\n"
)
SMALL_PARTS = [
    ({"Content-Type": "text/plain", "X-Note": "one"}, b"a--b0und b\r\n-b0und \r\n--b0un\r\nend"),
    ({}, b""),
    ({"X-Empty": "yes"}, b""),
]


def chunked(pieces: list[bytes], ctype: str = CTYPE) -> bytes:
    """A chunked response whose HTTP chunks are *pieces* (ketch hands each to readany)."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces if p)
    return head.encode() + body + b"0\r\n\r\n"


async def collect(reader: Any) -> list[Any]:
    """Every part as (headers, body) or, for a nested multipart, a list of those."""
    out: list[Any] = []
    async for part in reader:
        if isinstance(part, ketch.MultipartReader):
            out.append(await collect(part))
        else:
            out.append((dict(part.headers), bytes(await part.read())))
            assert part.at_eof()
    assert reader.at_eof()
    return out


def serve_raw(make: Any) -> HTTPServer:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        writer.write(make(req))
        await writer.drain()
        return None  # one response per connection; the server closes it
    return HTTPServer(handler)


async def test_small_body_split_at_every_byte() -> None:
    def make(req: Request) -> bytes:
        k = int(req.target.strip("/"))
        if k == 0:
            return chunked([SMALL[i:i + 1] for i in range(len(SMALL))])
        return chunked([SMALL[:k], SMALL[k:]])

    async with serve_raw(make) as srv, ketch.ClientSession() as s:
        async with s.get(f"{srv.url}/5") as resp:
            # The premise: each HTTP chunk reaches the reader as its own piece.
            assert await resp.content.readany() == SMALL[:5]
            assert await resp.content.readany() == SMALL[5:]
        for k in range(len(SMALL)):
            async with s.get(f"{srv.url}/{k}") as resp:
                reader = ketch.MultipartReader(resp.headers, resp.content)
                assert await collect(reader) == SMALL_PARTS, k
                assert await reader.next() is None


async def test_split_at_every_byte_in_three_pieces_on_one_stream() -> None:
    # Every pair of split points, fed straight into ketch's StreamReader.
    body = b"--b0und\r\nA: 1\r\n\r\nxy\r\n--b0und\r\n\r\n\r\n--b0und--"
    for i in range(1, len(body)):
        for j in range(i, len(body)):
            stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
            for piece in (body[:i], body[i:j], body[j:]):
                if piece:
                    stream.feed_data(piece)
            stream.feed_eof()
            got = await collect(ketch.MultipartReader({"Content-Type": CTYPE}, stream))
            assert got == [({"A": "1"}, b"xy"), ({}, b"")], (i, j)


def make_writer(blob: bytes) -> ketch.MultipartWriter:
    outer = ketch.MultipartWriter("mixed", boundary="outer-b")
    outer.append("héllo wörld", {"Content-Type": "text/plain; charset=utf-8"})
    outer.append_json({"k": [1, 2, "€"]})
    part = outer.append(io.BytesIO(blob), {"Content-Type": "application/octet-stream"})
    part.set_content_disposition("attachment", filename="data_1.bin")
    inner = ketch.MultipartWriter("related", boundary="inner-b")
    inner.append("inside")
    inner.append(b"\r\n--outer-\r\n--inner\r\n", {"Content-Type": "application/x-raw"})
    outer.append(inner)
    outer.append_form([("a", "1"), ("b", "x y")])
    return outer


async def echo(req: Request, writer: asyncio.StreamWriter) -> Reply:
    ctype = req.header("Content-Type") or ""
    return Reply(body=req.body, headers=[("Content-Type", ctype)], chunked=True)


async def test_round_trip_of_multipart_writer_through_an_echo_server() -> None:
    blob = random.Random(7).randbytes(200_000) + b"\r\n--outer-\r\n-outer-b\r\n--inner-b--\r"
    async with HTTPServer(echo) as srv, ketch.ClientSession() as s:
        async with s.post(srv.url, data=make_writer(blob)) as resp:
            wrapper = ketch.MultipartReader.from_response(resp)
            text = await wrapper.next()
            assert isinstance(text, ketch.BodyPartReader)
            assert await text.text() == "héllo wörld"
            js = await wrapper.next()
            assert isinstance(js, ketch.BodyPartReader)
            assert await js.json() == {"k": [1, 2, "€"]}
            f = await wrapper.next()
            assert isinstance(f, ketch.BodyPartReader)
            assert f.filename == "data_1.bin" and f.name is None
            got = bytearray()
            while chunk := await f.read_chunk(1000):
                assert len(chunk) <= 1000
                got += chunk
            assert bytes(got) == blob and f.at_eof()
            nested = await wrapper.next()
            assert isinstance(nested, ketch.MultipartReader)
            assert nested.headers["Content-Type"] == "multipart/related; boundary=inner-b"
            assert await collect(nested) == [
                ({"Content-Type": "text/plain; charset=utf-8", "Content-Length": "6"},
                 b"inside"),
                ({"Content-Type": "application/x-raw", "Content-Length": "21"},
                 b"\r\n--outer-\r\n--inner\r\n"),
            ]
            form = await wrapper.next()
            assert isinstance(form, ketch.BodyPartReader)
            assert await form.form() == [("a", "1"), ("b", "x y")]
            assert await wrapper.next() is None
            assert resp.closed  # the wrapper released the response after the last part


async def test_skipping_parts_and_a_nested_reader_unread() -> None:
    blob = b"z" * 50_000
    async with HTTPServer(echo) as srv, ketch.ClientSession() as s:
        async with s.post(srv.url, data=make_writer(blob)) as resp:
            reader = ketch.MultipartReader(resp.headers, resp.content)
            kinds = []
            async for part in reader:  # nothing read: each part is released to the void
                kinds.append(type(part).__name__)
            assert kinds == ["BodyPartReader"] * 3 + ["MultipartReader", "BodyPartReader"]
            assert reader.at_eof()
        async with s.post(srv.url, data=make_writer(blob)) as resp:
            reader = ketch.MultipartReader(resp.headers, resp.content)
            first = await reader.next()
            assert isinstance(first, ketch.BodyPartReader)
            assert await first.read_chunk(3) == "hél".encode()[:3]
            await reader.release()
            assert reader.at_eof() and await reader.next() is None
        async with s.post(srv.url, data=make_writer(blob)) as resp:
            reader = ketch.MultipartReader(resp.headers, resp.content)
            for _ in range(3):
                assert isinstance(await reader.next(), ketch.BodyPartReader)
            nested = await reader.next()
            assert isinstance(nested, ketch.MultipartReader)
            inside = await nested.next()
            assert isinstance(inside, ketch.BodyPartReader)
            assert await inside.read_chunk(2) == b"in"  # the rest of the nested body: skipped
            form = await reader.next()
            assert isinstance(form, ketch.BodyPartReader)
            assert await form.form() == [("a", "1"), ("b", "x y")]
            assert await reader.next() is None


async def test_read_chunk_streams_a_large_part_before_it_has_all_arrived() -> None:
    sent_rest = asyncio.Event()
    may_finish = asyncio.Event()
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: " + CTYPE.encode()
            + b"\r\nTransfer-Encoding: chunked\r\n\r\n")

    def chunk(data: bytes) -> bytes:
        return b"%x\r\n%b\r\n" % (len(data), data)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        writer.write(head + chunk(b"--b0und\r\n\r\n" + b"x" * 100_000))
        await writer.drain()
        await asyncio.wait_for(may_finish.wait(), 5)
        writer.write(chunk(b"y" * 1000 + b"\r\n--b0und--\r\n") + b"0\r\n\r\n")
        await writer.drain()
        sent_rest.set()
        return None

    async with HTTPServer(handler) as srv, ketch.ClientSession() as s:
        async with s.get(srv.url) as resp:
            reader = ketch.MultipartReader(resp.headers, resp.content)
            part = await reader.next()
            assert isinstance(part, ketch.BodyPartReader)
            total = 0
            while total < 99_000:
                data = await part.read_chunk(4096)
                assert data and len(data) <= 4096 and set(data) == {ord("x")}
                total += len(data)
            assert not sent_rest.is_set()  # read while the part was still arriving
            may_finish.set()
            rest = await part.read()
            assert bytes(rest) == b"x" * (100_000 - total) + b"y" * 1000
            assert await reader.next() is None


async def read_from(body: bytes, ctype: str = CTYPE) -> list[Any]:
    async with serve_raw(lambda req: chunked([body], ctype)) as srv, \
            ketch.ClientSession() as s:
        async with s.get(srv.url) as resp:
            return await collect(ketch.MultipartReader(resp.headers, resp.content))


@pytest.mark.parametrize("body, message", [
    (b"--b0und\r\n\r\nabc", "truncated body"),
    (b"--b0und\r\n\r\nabc\r\n--b0und", "ended right after boundary"),
    (b"--b0und\r\nContent-Type: text/pl", "inside a part's headers"),
    (b"no boundary at all\r\n", "the preamble"),
    (b"--b0und\r\n\r\nabc\r\n--b0undX\r\n", "invalid boundary line"),
    (b"--b0und\r\nA\x00B: c\r\n\r\nabc\r\n--b0und--", "NUL in part header line"),
    (b"--b0und\r\nA: b\rc\r\n\r\nabc\r\n--b0und--", "CR in part header line"),
    (b"--b0und\r\nA: b\nC: d\r\n\r\nabc\r\n--b0und--", "LF in part header line"),
    (b"--b0und\r\nA b: c\r\n\r\nabc\r\n--b0und--", "invalid part header name"),
    (b"--b0und\r\nnocolon\r\n\r\nabc\r\n--b0und--", "without a colon"),
    (b"--b0und\r\nA: " + b"x" * 8190 + b"\r\n\r\nabc\r\n--b0und--", "longer than 8190"),
    (b"--b0und\r\n" + b"A: 1\r\n" * 129 + b"\r\nabc\r\n--b0und--", "too many part headers"),
])
async def test_broken_bodies_raise_value_error(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await read_from(body)


async def test_folded_part_header_is_unfolded() -> None:
    body = b"--b0und\r\nX-Long: one\r\n  two\r\n\r\nv\r\n--b0und--"
    assert await read_from(body) == [({"X-Long": "one two"}, b"v")]


async def test_a_connection_lost_mid_part_is_client_payload_error() -> None:
    def make(req: Request) -> bytes:
        return (b"HTTP/1.1 200 OK\r\nContent-Type: " + CTYPE.encode()
                + b"\r\nContent-Length: 1000\r\n\r\n--b0und\r\n\r\npartial")

    async with serve_raw(make) as srv, ketch.ClientSession() as s:
        async with s.get(srv.url) as resp:
            part = await ketch.MultipartReader(resp.headers, resp.content).next()
            assert isinstance(part, ketch.BodyPartReader)
            with pytest.raises(ketch.ClientPayloadError):
                await part.read()


@pytest.mark.parametrize("headers, message", [
    ({}, "needs a Content-Type"),
    ({"Content-Type": "text/plain; boundary=x"}, "multipart/\\* content type expected"),
    ({"Content-Type": "multipart/mixed"}, "boundary missed"),
    ({"Content-Type": "multipart/mixed; boundary=" + "a" * 71}, "invalid boundary"),
    ({"Content-Type": 'multipart/mixed; boundary=""'}, "invalid boundary"),
    ({"Content-Type": 'multipart/mixed; boundary="a\u00e9"'}, "invalid boundary"),
])
async def test_bad_content_type_is_refused(headers: dict[str, str], message: str) -> None:
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    with pytest.raises(ValueError, match=message):
        ketch.MultipartReader(headers, stream)


async def parts_of(body: bytes, ctype: str = CTYPE) -> list[ketch.BodyPartReader]:
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    stream.feed_data(body)
    stream.feed_eof()
    reader = ketch.MultipartReader({"Content-Type": ctype}, stream)
    parts = []
    while (part := await reader.next()) is not None:
        assert isinstance(part, ketch.BodyPartReader)
        parts.append(part)
        await part.read()  # to its end: the reader moves on to the next part
    return parts


def one_part(headers: bytes, body: bytes) -> bytes:
    return b"--b0und\r\n" + headers + b"\r\n\r\n" + body + b"\r\n--b0und--\r\n"


async def decoded(headers: bytes, body: bytes, ctype: str = CTYPE) -> bytes:
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    stream.feed_data(one_part(headers, body))
    stream.feed_eof()
    part = await ketch.MultipartReader({"Content-Type": ctype}, stream).next()
    assert isinstance(part, ketch.BodyPartReader)
    return bytes(await part.read(decode=True))


async def test_decoding_transfer_and_content_encodings() -> None:
    data = "päyload ü\r\n".encode() * 20
    assert await decoded(b"Content-Transfer-Encoding: base64",
                         base64.encodebytes(data)) == data
    assert await decoded(b"Content-Transfer-Encoding: quoted-printable",
                         b"p=C3=A4yload=\r\n ok") == "päyload ok".encode()
    assert await decoded(b"Content-Transfer-Encoding: 8bit", data) == data
    assert await decoded(b"Content-Encoding: gzip", gzip.compress(data)) == data
    assert await decoded(b"Content-Encoding: deflate", zlib.compress(data)) == data
    raw = zlib.compressobj(wbits=-15)
    assert await decoded(b"Content-Encoding: deflate",
                         raw.compress(data) + raw.flush()) == data
    assert await decoded(b"Content-Encoding: identity", data) == data
    both = b"Content-Transfer-Encoding: base64\r\nContent-Encoding: gzip"
    assert await decoded(both, base64.b64encode(gzip.compress(data))) == data
    # RFC 7578 §4.8: form-data parts' Content-Encoding is ignored.
    assert await decoded(b"Content-Encoding: gzip", b"plain",
                         "multipart/form-data; boundary=b0und") == b"plain"


@pytest.mark.parametrize("headers, body, exc, message", [
    (b"Content-Transfer-Encoding: uuencode", b"x", RuntimeError, "transfer encoding"),
    (b"Content-Encoding: br", b"x", RuntimeError, "unknown content encoding"),
    (b"Content-Encoding: gzip", gzip.compress(b"hello" * 50)[:-12], ValueError, "truncated"),
    (b"Content-Encoding: gzip", b"not gzip", ValueError, "not valid gzip"),
    (b"Content-Transfer-Encoding: base64", b"abc", ValueError, "not valid base64"),
])
async def test_undecodable_parts_raise(headers: bytes, body: bytes, exc: type[Exception],
                                       message: str) -> None:
    with pytest.raises(exc, match=message):
        await decoded(headers, body)


async def test_text_json_form_and_charsets() -> None:
    body = (
        b"--b0und\r\nContent-Type: text/plain; charset=latin-1\r\n\r\n" + "café".encode("latin-1")
        + b"\r\n--b0und\r\nContent-Type: application/json\r\n\r\n"
        + b"\r\n--b0und\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        + b"q=caf%C3%A9&empty=\r\n"
        + b"\r\n--b0und--"
    )
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    stream.feed_data(body)
    stream.feed_eof()
    reader = ketch.MultipartReader({"Content-Type": CTYPE}, stream)
    text = await reader.next()
    assert isinstance(text, ketch.BodyPartReader)
    assert text.get_charset("utf-8") == "latin-1"
    assert await text.text() == "café"
    js = await reader.next()
    assert isinstance(js, ketch.BodyPartReader)
    assert await js.json() is None  # an empty JSON part
    form = await reader.next()
    assert isinstance(form, ketch.BodyPartReader)
    assert await form.form() == [("q", "café"), ("empty", "")]
    assert await reader.next() is None


async def test_charset_field_sets_the_default_for_form_data() -> None:
    body = (
        b'--b0und\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\niso-8859-1'
        b'\r\n--b0und\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + "é".encode("latin-1")
        + b"\r\n--b0und--\r\n"
    )
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    split = body.index(b"8859")  # the charset name arrives in two pieces
    stream.feed_data(body[:split])
    stream.feed_data(body[split:])
    stream.feed_eof()
    reader = ketch.MultipartReader({"Content-Type": "multipart/form-data; boundary=b0und"},
                                   stream)
    part = await reader.next()
    assert isinstance(part, ketch.BodyPartReader)
    assert part.name == "f" and part.get_charset("utf-8") == "iso-8859-1"
    assert await part.text() == "é"


async def test_readline_and_at_eof() -> None:
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    for piece in (b"--b0und\r\n\r\nline one\r\nli", b"ne two\nlast", b"\r\n--b0und--"):
        stream.feed_data(piece)
    stream.feed_eof()
    part = await ketch.MultipartReader({"Content-Type": CTYPE}, stream).next()
    assert isinstance(part, ketch.BodyPartReader)
    assert await part.readline() == b"line one\r\n"
    assert await part.readline() == b"line two\n"
    assert not part.at_eof()
    assert await part.readline() == b"last"
    assert part.at_eof()
    assert await part.readline() == b"" and await part.read_chunk() == b""
    assert await part.read() == bytearray()
    with pytest.raises(ValueError, match="chunk size must be positive, got 0"):
        await part.read_chunk(0)


async def test_names_and_filenames_from_content_disposition() -> None:
    body = (
        b'--b0und\r\nContent-Disposition: form-data; name="field"; filename="a b.txt"\r\n\r\n1'
        b"\r\n--b0und\r\nContent-Disposition: attachment; filename=\"fallback.txt\"; "
        b"filename*=UTF-8''%e2%82%ac%20rates.txt\r\n\r\n2"
        b"\r\n--b0und\r\nContent-Disposition: attachment; filename*0=\"long\"; "
        b"filename*1=\"-name.txt\"\r\n\r\n3"
        b"\r\n--b0und\r\nContent-Disposition: attachment; filename*0*=UTF-8''%c3%a9t; "
        b"filename*1=\"e.txt\"\r\n\r\n4"
        b"\r\n--b0und\r\nContent-Type: text/plain\r\n\r\n5\r\n--b0und--"
    )
    parts = await parts_of(body)
    assert [(p.name, p.filename) for p in parts] == [
        ("field", "a b.txt"), (None, "€ rates.txt"), (None, "long-name.txt"),
        (None, "éte.txt"), (None, None),
    ]


def test_module_level_content_disposition_helpers() -> None:
    dtype, params = ketch.parse_content_disposition(
        "Attachment; filename*=UTF-8''na%C3%AFve.txt; size=3")
    assert dtype == "attachment"
    assert params == {"filename*": "naïve.txt", "size": "3"}
    assert ketch.content_disposition_filename(params) == "naïve.txt"
    assert ketch.content_disposition_filename({"name": "n"}, "name") == "n"
    assert ketch.content_disposition_filename({}, "filename") is None
    assert ketch.parse_content_disposition(None) == (None, {})
    with pytest.warns(ketch.BadContentDispositionHeader):
        assert ketch.parse_content_disposition('"bad; x=1') == (None, {})
    with pytest.warns(ketch.BadContentDispositionParam):
        assert ketch.content_disposition_filename({"filename*1": "x"}) is None


def test_etag_is_a_frozen_value() -> None:
    tag = ketch.ETag("xyzzy", is_weak=True)
    assert tag == ketch.ETag(value="xyzzy", is_weak=True) and ketch.ETag("a").is_weak is False
    with pytest.raises(AttributeError):
        tag.value = "other"  # type: ignore[misc]
    assert repr(tag) == "ETag(value='xyzzy', is_weak=True)"


async def test_a_charset_field_naming_no_charset_is_refused_where_it_is_read() -> None:
    body = (b'--b0und\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\nno-such-cs'
            b'\r\n--b0und\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b0und--\r\n')
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    stream.feed_data(body)
    stream.feed_eof()
    reader = ketch.MultipartReader({"Content-Type": "multipart/form-data; boundary=b0und"},
                                   stream)
    with pytest.raises(ValueError, match="'no-such-cs'"):
        await reader.next()


async def test_extended_continuations_of_any_parameter_are_joined() -> None:
    body = (b"--b0und\r\nContent-Disposition: form-data; name*0*=UTF-8''%C3%A9t; "
            b"name*1*=%C3%A9.txt\r\n\r\n1\r\n--b0und--\r\n")
    parts = await parts_of(body)
    assert [p.name for p in parts] == ["été.txt"]


async def test_a_gzip_part_of_several_members_decodes_whole() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    body = b"--b0und\r\nContent-Encoding: gzip\r\n\r\n" + data + b"\r\n--b0und--\r\n"
    stream = ketch.StreamReader(asyncio.get_running_loop(), 2**16)
    stream.feed_data(body)
    stream.feed_eof()
    reader = ketch.MultipartReader({"Content-Type": "multipart/mixed; boundary=b0und"}, stream)
    part = await reader.next()
    assert isinstance(part, ketch.BodyPartReader)
    assert await part.read(decode=True) == b"first second"
