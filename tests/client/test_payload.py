"""The body seam: every ``data=`` form, sent to a real loopback server."""

from __future__ import annotations

import array
import asyncio
import gzip
import io
import os
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from multidict import MultiDict

import ketch
from ketch._payload import compress_payload, make_payload
from ketch._streams import StreamReader
from tests.client._send import ok, send
from tests.servers import HTTPServer, Reply, Request


class CountingReader(io.BufferedReader):
    """A real binary file that records how much each read() asked for and got."""

    def __init__(self, path: Path) -> None:
        super().__init__(io.FileIO(str(path), "rb"))
        self.requested: list[int] = []
        self.total = 0

    def read(self, size: int | None = -1) -> bytes:
        self.requested.append(-1 if size is None else size)
        data = super().read(size)
        self.total += len(data)
        return data


async def collect(p: ketch.Payload) -> bytes:
    return b"".join([c async for c in p.iter_chunks()])


def test_bytes_are_zero_copy_with_octet_stream_default() -> None:
    data = b"\x00\x01binary"
    p = make_payload(data)
    assert p.body is data
    assert p.size == len(data)
    assert p.content_type == "application/octet-stream"
    assert p.is_replayable
    assert p.headers["Content-Type"] == "application/octet-stream"


def test_bytearray_and_memoryview_are_sized_in_bytes() -> None:
    assert make_payload(bytearray(b"abc")).body == b"abc"
    ints = array.array("i", [1, 2, 3])
    p = make_payload(memoryview(ints))
    assert p.size == ints.itemsize * 3
    assert p.body == ints.tobytes()


def test_content_type_argument_overrides_the_default() -> None:
    p = make_payload(b"GIF89a", content_type="image/gif")
    assert p.content_type == "image/gif"
    assert p.headers["Content-Type"] == "image/gif"


def test_str_is_utf8_text_plain() -> None:
    p = make_payload("Привет, Мир!")
    assert p.content_type == "text/plain; charset=utf-8"
    assert p.body == "Привет, Мир!".encode()


def test_str_uses_the_charset_of_a_given_content_type() -> None:
    p = make_payload("café", content_type="text/plain; charset=latin-1")
    assert p.body == "café".encode("latin-1")


def test_dict_pairs_and_multidict_are_urlencoded() -> None:
    for data in ({"a": "1", "b": "x y"}, [("a", "1"), ("b", "x y")], MultiDict([("a", "1"), ("b", "x y")])):
        p = make_payload(data)
        assert p.content_type == "application/x-www-form-urlencoded"
        assert p.body == b"a=1&b=x+y"
    assert make_payload({"k": ["1", "2"], "n": 5}).body == b"k=1&k=2&n=5"


def test_unsupported_data_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="42"):
        make_payload(42)


def test_crlf_in_content_type_is_refused() -> None:
    with pytest.raises(ValueError, match="Content-Type"):
        make_payload(b"x", content_type="text/plain\r\nX-Evil: 1")


def test_existing_payload_is_returned_as_is() -> None:
    p = ketch.BytesPayload(b"x")
    assert make_payload(p) is p
    assert ketch.get_payload(p) is p


def test_json_payload() -> None:
    p = ketch.JsonPayload({"a": [1, "é"]})
    assert p.content_type == "application/json"
    assert p.body == b'{"a": [1, "\\u00e9"]}'


async def test_bytes_body_reaches_the_server(tmp_path: Path) -> None:
    async with HTTPServer(ok) as server:
        req = await send(server, make_payload(b"hello"))
    assert req.body == b"hello"
    assert req.header("Content-Length") == "5"


async def test_file_is_streamed_in_chunks_never_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.bin"
    data = os.urandom(5 * 2**16 + 123)
    path.write_bytes(data)
    f = CountingReader(path)
    p = make_payload(f)
    try:
        await _check_streamed(f, p, data)
    finally:
        p.close()
    assert f.closed


async def _check_streamed(f: CountingReader, p: ketch.Payload, data: bytes) -> None:
    assert isinstance(p, ketch.BufferedReaderPayload)
    assert p.size == len(data)  # from fstat: sent with Content-Length, not chunked
    assert p.body is None
    assert p.headers["Content-Disposition"] == 'attachment; filename="report.bin"'
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert req.body == data
    assert req.header("Content-Length") == str(len(data))
    assert max(f.requested) <= 2**16
    assert -1 not in f.requested
    assert len(f.requested) >= 6


async def test_file_size_counts_from_the_current_position_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(b"0123456789abcdef")
    with open(path, "rb") as f:
        f.seek(10)
        p = make_payload(f)
        assert p.size == 6
        assert p.content_type == "text/plain"  # guessed from the file name
        assert p.is_replayable
        assert await collect(p) == b"abcdef"
        assert await collect(p) == b"abcdef"  # rewound to where it started


async def test_file_shorter_than_announced_raises_instead_of_truncating(tmp_path: Path) -> None:
    path = tmp_path / "shrinks.bin"
    path.write_bytes(b"x" * 1000)
    with open(path, "rb") as f:
        p = make_payload(f)
        assert p.size == 1000
        os.truncate(path, 400)
        with pytest.raises(ketch.ClientPayloadError, match="600 bytes before"):
            await collect(p)


async def test_pipe_has_unknown_size_goes_chunked_and_cannot_replay() -> None:
    r, w = os.pipe()
    os.write(w, b"from a pipe" * 100)
    os.close(w)
    with open(r, "rb") as f:
        p = make_payload(f)
        assert p.size is None
        assert not p.is_replayable
        async with HTTPServer(ok) as server:
            req = await send(server, p)
        assert req.header("Transfer-Encoding") == "chunked"
        assert req.body == b"from a pipe" * 100
        with pytest.raises(ketch.ClientPayloadError, match="not seekable"):
            await collect(p)


async def test_text_file_is_encoded_and_chunked(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("ünïcode line\n" * 20000, encoding="utf-8")
    with open(path, encoding="utf-8") as f:
        p = make_payload(f)
        assert isinstance(p, ketch.TextIOPayload)
        assert p.size is None
        assert p.content_type == "text/plain; charset=utf-8"
        async with HTTPServer(ok) as server:
            req = await send(server, p)
    assert req.body == ("ünïcode line\n" * 20000).encode()
    assert req.header("Transfer-Encoding") == "chunked"


async def test_seekable_stream_without_a_descriptor_is_measured_by_seeking() -> None:
    class Wrapped(io.RawIOBase):
        """A seekable binary stream with no file descriptor (like a zip member)."""

        def __init__(self, data: bytes) -> None:
            self._buf = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def seek(self, pos: int, whence: int = 0) -> int:
            return self._buf.seek(pos, whence)

        def tell(self) -> int:
            return self._buf.tell()

        def readinto(self, b: Any) -> int:
            data = self._buf.read(len(b))
            b[: len(data)] = data
            return len(data)

    w = Wrapped(b"0123456789" * 10000)
    w.seek(5)
    p = make_payload(w)
    assert type(p) is ketch.IOBasePayload
    assert p.size == 99995
    assert w.tell() == 5  # measuring left the position alone
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert req.body == (b"0123456789" * 10000)[5:]
    assert req.header("Content-Length") == "99995"


async def test_bytesio_and_stringio() -> None:
    buf = io.BytesIO(b"skip|payload")
    buf.seek(5)
    p = make_payload(buf)
    assert isinstance(p, ketch.BytesIOPayload)
    assert p.size == 7
    assert await collect(p) == b"payload"
    assert await collect(p) == b"payload"
    s = make_payload(io.StringIO("ab€"))
    assert s.body == "ab€".encode()
    assert s.content_type == "text/plain; charset=utf-8"


async def test_async_generator_arrives_chunked_and_is_sent_once() -> None:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(5):
            yield b"part%d;" % i
            yield b""  # must not end the chunked body early
            await asyncio.sleep(0)

    p = make_payload(gen())
    assert isinstance(p, ketch.AsyncIterablePayload)
    assert p.size is None and p.body is None and not p.is_replayable
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert req.header("Transfer-Encoding") == "chunked"
    assert req.body == b"part0;part1;part2;part3;part4;"
    with pytest.raises(ketch.ClientPayloadError, match="cannot be replayed"):
        await collect(p)


async def test_async_iterable_of_str_is_a_type_error() -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "text"

    with pytest.raises(TypeError, match="must yield bytes"):
        await collect(make_payload(gen()))


async def test_response_stream_is_forwarded_with_iter_any() -> None:
    stream = StreamReader(asyncio.get_running_loop())
    stream.feed_data(b"line one\nline ")
    stream.feed_data(b"two\n")
    stream.feed_eof()
    p = make_payload(stream)
    assert await collect(p) == b"line one\nline two\n"


async def test_user_payload_with_only_write_is_streamed() -> None:
    class Legacy(ketch.Payload):
        async def write(self, writer: Any) -> None:
            for i in range(3):
                await writer.write(b"w%d" % i)

    p = Legacy(None)
    assert p.size is None and p.body is None
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert req.body == b"w0w1w2"


async def test_payload_write_feeds_a_writer() -> None:
    got: list[bytes] = []

    class Writer:
        async def write(self, chunk: bytes) -> None:
            got.append(chunk)

    await make_payload(b"abc").write(Writer())
    assert got == [b"abc"]


@pytest.mark.parametrize(("encoding", "decompress"), [
    ("deflate", zlib.decompress), ("gzip", gzip.decompress),
])
async def test_compress_in_memory_body_has_a_size(encoding: str, decompress: Any) -> None:
    data = b"compress me " * 1000
    p = compress_payload(make_payload(data, content_type="text/plain"), encoding)
    assert p.headers["Content-Encoding"] == encoding
    assert p.content_type == "text/plain"
    assert p.size is not None and p.size < len(data)
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert decompress(req.body) == data
    assert req.header("Content-Encoding") == encoding


async def test_compress_streams_generators_and_large_bodies() -> None:
    async def gen() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"stream " * 100

    p = compress_payload(make_payload(gen()), "gzip")
    assert p.size is None and not p.is_replayable
    assert gzip.decompress(await collect(p)) == b"stream " * 5000
    big = os.urandom(2**20) + b"tail" * 2**16
    q = compress_payload(make_payload(big), "deflate")
    assert q.size is None and q.is_replayable
    async with HTTPServer(ok) as server:
        req = await send(server, q)
    assert zlib.decompress(req.body) == big


def test_compress_rejects_unknown_encodings() -> None:
    with pytest.raises(ValueError, match="'br'"):
        compress_payload(make_payload(b"x"), "br")


# Through ClientSession: the pipeline consuming the seam ------------------------------

async def echo_redirect(req: Request, writer: asyncio.StreamWriter) -> Reply:
    if req.target == "/redirect":
        return Reply(307, headers=[("Location", "/final")], reason="Temporary Redirect")
    return Reply(body=b"ok")


async def test_session_streams_a_file_upload(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(3 * 2**20 + 7)
    path.write_bytes(data)
    f = CountingReader(path)
    try:
        async with HTTPServer(echo_redirect) as server, ketch.ClientSession() as s:
            async with s.post(server.url + "/up", data=f) as r:
                assert r.status == 200
    finally:
        f.close()
    req = server.requests[-1]
    assert req.body == data
    assert req.header("Content-Length") == str(len(data))
    assert req.header("Content-Disposition") == 'attachment; filename="big.bin"'
    assert max(f.requested) <= 2**16 and -1 not in f.requested


async def test_session_sends_an_async_generator_chunked() -> None:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(20):
            yield b"%d," % i

    async with HTTPServer(echo_redirect) as server, ketch.ClientSession() as s:
        async with s.post(server.url + "/up", data=gen()) as r:
            assert r.status == 200
    req = server.requests[-1]
    assert req.header("Transfer-Encoding") == "chunked"
    assert req.header("Content-Length") is None
    assert req.body == b"".join(b"%d," % i for i in range(20))


async def test_session_replays_a_file_on_307_but_not_a_generator(tmp_path: Path) -> None:
    path = tmp_path / "again.bin"
    path.write_bytes(b"R" * 100000)

    async def gen() -> AsyncIterator[bytes]:
        yield b"once"

    async with HTTPServer(echo_redirect) as server, ketch.ClientSession() as s:
        with open(path, "rb") as f:
            async with s.post(server.url + "/redirect", data=f) as r:
                assert r.status == 200
        assert [q.target for q in server.requests] == ["/redirect", "/final"]
        assert server.requests[1].body == b"R" * 100000
        with pytest.raises(ketch.ClientPayloadError):
            await s.post(server.url + "/redirect", data=gen())


async def test_session_form_with_file_and_multipart_writer(tmp_path: Path) -> None:
    from tests.client.test_formdata import parse_form

    form = ketch.FormData()
    form.add_field("field", "value")
    form.add_field("upload", io.BytesIO(b"\x00file"), filename="a.bin")
    async with HTTPServer(echo_redirect) as server, ketch.ClientSession() as s:
        async with s.post(server.url + "/form", data=form) as r:
            assert r.status == 200
        req = server.requests[-1]
        ctype = req.header("Content-Type")
        assert ctype is not None
        field, upload = parse_form(ctype, req.body)
        assert field.get_payload(decode=True) == b"value"
        assert upload.get_filename() == "a.bin" and upload.get_payload(decode=True) == b"\x00file"
        with ketch.MultipartWriter("mixed") as mp:
            mp.append_json({"k": "v"})
        async with s.post(server.url + "/mp", data=mp) as r:
            assert r.status == 200
        req = server.requests[-1]
        assert req.header("Content-Type") == f"multipart/mixed; boundary={mp.boundary}"
        assert req.body == mp.body


async def test_session_compress_and_precompressed_upload() -> None:
    data = b"squeeze " * 2000
    async with HTTPServer(echo_redirect) as server, ketch.ClientSession() as s:
        async with s.post(server.url + "/c", data=data, compress="deflate") as r:
            assert r.status == 200
        req = server.requests[-1]
        assert req.header("Content-Encoding") == "deflate"
        assert zlib.decompress(req.body) == data
        # The reference's pre-compressed upload: sent byte for byte as given.
        pre = zlib.compress(data)
        async with s.post(server.url + "/c", data=pre, headers={"Content-Encoding": "deflate"}) as r:
            assert r.status == 200
        req = server.requests[-1]
        assert req.body == pre
        assert req.header("Content-Encoding") == "deflate"


async def test_payload_without_body_or_stream_is_a_type_error() -> None:
    p = ketch.Payload(None)
    assert p.content_type == "application/octet-stream"
    with pytest.raises(TypeError, match="neither a body"):
        await collect(p)


async def test_decode_and_as_bytes() -> None:
    assert make_payload("héllo").decode() == "héllo"

    async def gen() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    streamed = make_payload(gen())
    with pytest.raises(TypeError, match="streamed"):
        streamed.decode()
    assert await streamed.as_bytes() == b"abcd"
    assert await make_payload(b"xy").as_bytes() == b"xy"
