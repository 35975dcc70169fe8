"""FormData: urlencoded and multipart/form-data forms, received by a loopback server."""

from __future__ import annotations

import email.parser
import email.policy
import io
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict

import ketch
from ketch._payload import make_payload
from tests.client._send import ok, send
from tests.servers import HTTPServer


def parse_form(content_type: str, body: bytes) -> list[EmailMessage]:
    """Parse a multipart body with the standard library's MIME parser."""
    raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    assert msg.is_multipart() and not msg.defects, msg.defects
    return list(msg.iter_parts())  # type: ignore[arg-type]


def disposition(part: EmailMessage) -> str:
    return str(part["Content-Disposition"])


async def test_plain_fields_are_urlencoded() -> None:
    form = ketch.FormData({"name": "Ann Lee", "q": "a&b=c"})
    form.add_field("n", "1")
    assert not form.is_multipart
    p = form()
    assert p.content_type == "application/x-www-form-urlencoded"
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    assert req.body == b"name=Ann+Lee&q=a%26b%3Dc&n=1"
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"


def test_charset_changes_urlencoding_and_content_type() -> None:
    p = ketch.FormData({"k": "é"}, charset="latin-1")()
    assert p.body == b"k=%E9"
    assert p.content_type == "application/x-www-form-urlencoded; charset=latin-1"


def test_fields_as_pairs_and_multidict() -> None:
    form = ketch.FormData([("a", "1"), ("a", "2")])
    form.add_fields(MultiDict([("b", "3")]), ("c", "4"))
    assert form().body == b"a=1&a=2&b=3&c=4"


def test_bad_field_record_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="pairs allowed"):
        ketch.FormData().add_fields(("a", "b", "c"))


async def test_file_field_makes_multipart_and_streams_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    content = b"a,b\n" * 40000
    path.write_bytes(content)
    with open(path, "rb") as f:
        form = ketch.FormData()
        form.add_field("title", "Q3")
        form.add_field("file", f, content_type="text/csv")
        assert form.is_multipart
        p = form()
        assert p.body is None  # the file part is streamed
        assert p.size is not None  # but its size is known: Content-Length, not chunked
        async with HTTPServer(ok) as server:
            req = await send(server, p)
    assert req.header("Content-Length") == str(len(req.body))
    ctype = req.header("Content-Type")
    assert ctype is not None and ctype.startswith("multipart/form-data; boundary=")
    title, file = parse_form(ctype, req.body)
    assert disposition(title) == 'form-data; name="title"'
    assert title.get_content_type() == "text/plain"
    assert title.get_payload(decode=True) == b"Q3"
    assert disposition(file) == 'form-data; name="file"; filename="report.csv"'
    assert file["Content-Type"] == "text/csv"
    assert file.get_payload(decode=True) == content
    assert "Content-Length" not in file  # RFC 7578 §4.8


async def test_dict_with_a_file_value_is_multipart(tmp_path: Path) -> None:
    p = make_payload({"key": "value", "file": io.BytesIO(b"\x00data")})
    assert p.content_type is not None and p.content_type.startswith("multipart/form-data")
    body = p.body
    assert body is None  # BytesIO parts stream too
    async with HTTPServer(ok) as server:
        req = await send(server, p)
    key, file = parse_form(p.content_type, req.body)
    assert key.get_payload(decode=True) == b"value"
    assert disposition(file) == 'form-data; name="file"; filename="file"'
    assert file.get_payload(decode=True) == b"\x00data"


def test_bytes_value_is_a_file_named_after_the_field() -> None:
    form = ketch.FormData({"blob": b"\x01\x02"})
    assert form.is_multipart
    p = form()
    assert p.content_type is not None and p.body is not None
    (part,) = parse_form(p.content_type, p.body)
    assert disposition(part) == 'form-data; name="blob"; filename="blob"'
    assert part["Content-Type"] == "application/octet-stream"


def test_non_ascii_names_and_filenames_are_quoted_like_aiohttp() -> None:
    form = ketch.FormData()
    form.add_field("naïve", "v", filename='my "résumé".txt')
    form.add_field('quo"te', "w")
    p = form()
    assert p.content_type is not None and p.body is not None
    first, second = parse_form(p.content_type, p.body)
    assert (
        b"Content-Disposition: form-data; name*=utf-8''na%C3%AFve; "
        b'filename="my%20%22r%C3%A9sum%C3%A9%22.txt"\r\n'
    ) in p.body
    assert first.get_param("name", header="content-disposition") == "naïve"
    assert second.get_param("name", header="content-disposition") == 'quo"te'
    assert 'name="quo\\"te"' in disposition(second)


def test_non_ascii_name_without_filename_uses_the_extended_form() -> None:
    form = ketch.FormData()
    form.add_field("naïve", "v", content_type="text/plain")
    p = form()
    assert p.content_type is not None and p.body is not None
    assert b"Content-Disposition: form-data; name*=utf-8''na%C3%AFve\r\n" in p.body
    (part,) = parse_form(p.content_type, p.body)
    assert part.get_param("name", header="content-disposition") == "naïve"


def test_form_data_part_without_a_name_is_refused() -> None:
    mp = ketch.MultipartWriter("form-data")
    part = mp.append("v")
    part.set_content_disposition("form-data", filename="only-a-filename.txt")
    with pytest.raises(ValueError, match="with a name"):
        _ = mp.body


def test_quote_fields_false_sends_utf8_with_escaped_quotes() -> None:
    form = ketch.FormData(quote_fields=False)
    form.add_field("naïve", "v", filename='a "b".txt')
    p = form()
    assert p.body is not None
    assert 'Content-Disposition: form-data; name="naïve"; filename="a \\"b\\".txt"'.encode() in p.body


@pytest.mark.parametrize(("kwargs", "header"), [
    ({"name": "a\r\nX-Evil: 1"}, "Content-Disposition"),
    ({"filename": "x.txt\r\nX-Evil: 1"}, "Content-Disposition"),
    ({"filename": "x\n.txt"}, "Content-Disposition"),
    ({"content_type": "text/plain\r\nX-Evil: 1"}, "Content-Type"),
    ({"content_transfer_encoding": "base64\nX: y"}, "Content-Transfer-Encoding"),
])
def test_crlf_in_any_part_header_is_refused(kwargs: dict[str, str], header: str) -> None:
    args = {"name": "field", **kwargs}
    name = args.pop("name")
    with pytest.raises(ValueError, match=header):
        ketch.FormData().add_field(name, "value", **args)


def test_filename_and_content_type_must_be_str() -> None:
    with pytest.raises(TypeError, match="filename"):
        ketch.FormData().add_field("f", b"x", filename=b"x.bin")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="content_type"):
        ketch.FormData().add_field("f", b"x", content_type=1)  # type: ignore[arg-type]


def test_unserializable_multipart_value_is_a_type_error() -> None:
    form = ketch.FormData()
    form.add_field("n", 42, content_type="text/plain")
    with pytest.raises(TypeError, match="Can not serialize"):
        form()


async def test_payload_is_reused_and_replays_its_file(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"A" * 70000)
    with open(path, "rb") as f:
        form = ketch.FormData({"f": f})
        p = form()
        assert form() is p
        assert p.is_replayable
        first = b"".join([c async for c in p.iter_chunks()])
        second = b"".join([c async for c in p.iter_chunks()])
    assert first == second and len(first) == p.size


def test_default_to_multipart_and_charset_in_parts() -> None:
    form = ketch.FormData({"k": "é"}, charset="latin-1", default_to_multipart=True)
    p = form()
    assert p.content_type is not None and p.body is not None
    (part,) = parse_form(p.content_type, p.body)
    assert b"Content-Type: text/plain; charset=latin-1\r\n" in p.body
    assert part.get_content_charset() == "latin-1"
    assert part.get_payload(decode=True) == "é".encode("latin-1")


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(fields=st.lists(st.tuples(_text, _text, st.one_of(st.none(), _text)), min_size=1, max_size=4))
def test_any_names_and_filenames_either_round_trip_or_are_refused(
    fields: list[tuple[str, str, str | None]],
) -> None:
    form = ketch.FormData(default_to_multipart=True)
    try:
        for name, value, filename in fields:
            form.add_field(name, value, filename=filename)
    except ValueError as exc:
        assert any(c in "".join(f[0] + (f[2] or "") for f in fields) for c in "\r\n\x00")
        assert "Content-Disposition" in str(exc)
        return
    p = form()
    assert p.content_type is not None and p.body is not None
    parts = parse_form(p.content_type, p.body)
    assert len(parts) == len(fields)
    for part, (name, value, filename) in zip(parts, fields):
        # The header registry's parser handles quoted-pairs; the legacy get_param() and
        # get_filename() mis-split a quoted-string holding an escaped backslash.
        params = part["Content-Disposition"].params
        assert params["name"] == name
        assert part.get_payload(decode=True) == value.encode()
        if filename is not None:
            assert unquote(params["filename"]) == filename
