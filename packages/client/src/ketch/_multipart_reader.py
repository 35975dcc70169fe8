"""Reading multipart bodies (RFC 2046 §5.1): aiohttp's ``MultipartReader`` and
``BodyPartReader``.

Theory of operation: a multipart body is read from a *source* that hands out bytes and
takes back what was read past a boundary. The response's ``StreamReader`` is wrapped
into one; a part that is itself multipart is the source of its nested reader, so the
nested reader's preamble and epilogue end where the enclosing part ends. A part's body
is every byte up to the next delimiter ``CRLF "--" boundary``; only the last
``len(delimiter) - 1`` bytes seen are ever held back (they may start a delimiter), so a
large part streams through :meth:`BodyPartReader.read_chunk` in bounded memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from ._hdrs import (
    CONTENT_DISPOSITION,
    CONTENT_ENCODING,
    CONTENT_TRANSFER_ENCODING,
    CONTENT_TYPE,
)
from ._disposition import content_disposition_filename, parse_content_disposition
from ._helpers import normalize_charset, parse_content_type
from ._multipart_io import (
    HEAD_LIMIT,
    Delimited,
    Source,
    StreamSource,
    parse_headers,
    read_until,
    undo_content_encoding,
    undo_transfer_encoding,
)
from ._streams import StreamReader

if TYPE_CHECKING:
    from ._response import ClientResponse

__all__ = ["BodyPartReader", "MultipartReader", "MultipartResponseWrapper"]

_CHUNK_SIZE = 8192
# Transport padding after a boundary (RFC 2046 §5.1.1) is short; a longer line is broken.
_BOUNDARY_LINE_LIMIT = 1024
# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, at most 70 characters. Other
# printable ASCII is let through (servers use it), never CTLs or non-ASCII.
_BOUNDARY_RE = re.compile(r"[\x20-\x7e]{0,69}[\x21-\x7e]")


class _PartSource:
    """A body part as the source of the multipart reader nested in it."""

    __slots__ = ("_part",)

    def __init__(self, part: BodyPartReader) -> None:
        self._part = part

    async def read_some(self) -> bytes:
        return await self._part.read_chunk(1 << 30)

    def unread(self, data: bytes) -> None:
        self._part._push_back(data)


def _as_source(content: StreamReader | BodyPartReader | Source) -> Source:
    if isinstance(content, BodyPartReader):
        return _PartSource(content)
    if isinstance(content, (StreamSource, _PartSource)):
        return content
    if isinstance(content, StreamReader):
        return StreamSource(content)
    raise TypeError(f"multipart content must be a ketch StreamReader, not {type(content)!r}")


class BodyPartReader:
    """One part of a multipart body, read as a stream (aiohttp's ``BodyPartReader``).

    Attributes:
        headers: the part's headers.
        chunk_size: the default size for :meth:`read_chunk`.
    """

    __module__ = "ketch"
    chunk_size = _CHUNK_SIZE

    def __init__(
        self,
        boundary: bytes,
        headers: CIMultiDictProxy[str],
        content: StreamReader | BodyPartReader | Source,
        *,
        subtype: str = "mixed",
        default_charset: str | None = None,
    ) -> None:
        """Args:
            boundary: the dash-boundary, ``b"--" + boundary``.
            headers: the part's headers.
            content: the stream positioned at the start of the part's body.
            subtype: the enclosing multipart subtype (``form-data`` ignores the parts'
                Content-Encoding, RFC 7578 §4.8).
            default_charset: the charset when the part's Content-Type names none.
        """
        self.headers = headers
        self._boundary = boundary
        self._body = Delimited(_as_source(content), boundary, "a body part")
        self._is_form_data = subtype == "form-data"
        self._default_charset = default_charset
        self._at_eof = False

    def __repr__(self) -> str:
        return f"<BodyPartReader {self.headers.get(CONTENT_TYPE, '')!r} at_eof={self._at_eof}>"

    def at_eof(self) -> bool:
        """True once the whole body of the part has been read."""
        return self._at_eof

    def _settle(self, data: bytes) -> bytes:
        if self._body.done and not self._body.has_ready:
            self._at_eof = True
        return data

    async def read_chunk(self, size: int = _CHUNK_SIZE) -> bytes:
        """At most *size* bytes of the body; b"" once it has all been read.

        Raises:
            ValueError: the stream ended before the part's closing delimiter.
            ClientPayloadError: the response body could not be received.
        """
        if size < 1:
            raise ValueError(f"chunk size must be positive, got {size!r}")
        if self._at_eof:
            return b""
        return self._settle(await self._body.read(size))

    async def readline(self) -> bytes:
        """The next line of the body, ending with b"\\n" unless the body ends first."""
        if self._at_eof:
            return b""
        pieces: list[bytes] = []
        while True:
            data = await self._body.readline()
            pieces.append(data)
            if not data or data[-1:] == b"\n":
                break
        return self._settle(b"".join(pieces))

    async def read(self, *, decode: bool = False) -> bytearray:
        """The rest of the body.

        Args:
            decode: undo the part's Content-Transfer-Encoding and Content-Encoding.

        Raises:
            ValueError: the stream ended before the part's closing delimiter.
        """
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(1 << 30)
        return self.decode(data) if decode else data

    async def release(self) -> None:
        """Read the rest of the body to the void."""
        while not self._at_eof:
            await self.read_chunk(1 << 30)

    async def text(self, *, encoding: str | None = None) -> str:
        """The decoded body as text, in *encoding* or the part's charset (else UTF-8)."""
        data = await self.read(decode=True)
        return data.decode(encoding or self.get_charset(default="utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        """The decoded body parsed as JSON; None when the body is empty."""
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset(default="utf-8")))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """The decoded body parsed as ``application/x-www-form-urlencoded`` pairs.

        Raises:
            ValueError: the body is not valid in the charset.
        """
        data = await self.read(decode=True)
        if not data:
            return []
        charset = encoding or self.get_charset(default="utf-8")
        try:
            text = data.rstrip().decode(charset)
        except UnicodeDecodeError as exc:
            raise ValueError(f"part body cannot be decoded with {charset!r}") from exc
        return parse_qsl(text, keep_blank_values=True, encoding=charset)

    def decode(self, data: bytes | bytearray) -> bytearray:
        """Undo Content-Transfer-Encoding (base64, quoted-printable, 7bit/8bit/binary)
        and then Content-Encoding (gzip, deflate, identity; ignored for form-data).

        Raises:
            RuntimeError: an unknown transfer encoding or content encoding.
            ValueError: the data is corrupt or truncated for its encoding.
        """
        cte = self.headers.get(CONTENT_TRANSFER_ENCODING)
        ce = None if self._is_form_data else self.headers.get(CONTENT_ENCODING)
        if cte is None and ce is None:
            return data if isinstance(data, bytearray) else bytearray(data)  # no copy to make
        out = bytes(data)
        if cte is not None:
            out = undo_transfer_encoding(out, cte.strip().lower())
        if ce is not None:
            out = undo_content_encoding(out, ce.strip().lower())
        return bytearray(out)

    def get_charset(self, default: str) -> str:
        """The charset of the part's Content-Type, else the multipart default, else *default*."""
        _, params = parse_content_type(self.headers.get(CONTENT_TYPE))
        return params.get("charset") or self._default_charset or default

    @property
    def name(self) -> str | None:
        """The ``name`` parameter of the part's Content-Disposition, or None."""
        _, params = parse_content_disposition(self.headers.get(CONTENT_DISPOSITION))
        return content_disposition_filename(params, "name")

    @property
    def filename(self) -> str | None:
        """The file name from the part's Content-Disposition (``filename*`` first), or None."""
        _, params = parse_content_disposition(self.headers.get(CONTENT_DISPOSITION))
        return content_disposition_filename(params, "filename")

    async def next(self) -> bytearray | None:
        """The rest of the body, or None when it is empty (aiohttp's iteration step)."""
        data = await self.read()
        return data or None

    def __aiter__(self) -> BodyPartReader:
        return self

    async def __anext__(self) -> bytearray:
        data = await self.next()
        if data is None:
            raise StopAsyncIteration
        return data

    def _push_back(self, data: bytes) -> None:
        # What a nested multipart reader read past its own boundaries goes back here.
        if data:
            self._body.unread(data)
            self._at_eof = False


class MultipartReader:
    """The parts of a multipart body, one at a time (aiohttp's ``MultipartReader``).

    ``await reader.next()`` (or ``async for part in reader``) gives a
    :class:`BodyPartReader`, or a nested :class:`MultipartReader` for a ``multipart/*``
    part; moving on reads what is left of the previous part to the void.

    Attributes:
        headers: the headers of the multipart body (its Content-Type holds the boundary).
        response_wrapper_cls: what :meth:`from_response` wraps the reader in.
        multipart_reader_cls: the class for nested multipart parts (None: this class).
        part_reader_cls: the class for the other parts.
    """

    __module__ = "ketch"
    response_wrapper_cls: type[MultipartResponseWrapper]
    multipart_reader_cls: type[MultipartReader] | None = None
    part_reader_cls: type[BodyPartReader] = BodyPartReader

    def __init__(
        self, headers: Mapping[str, str], content: StreamReader | BodyPartReader | Source
    ) -> None:
        """Args:
            headers: headers with the ``multipart/*`` Content-Type and its boundary.
            content: the body's stream (``resp.content``).

        Raises:
            ValueError: no Content-Type, not ``multipart/*``, or a missing or invalid
                boundary parameter (RFC 2046 §5.1.1: 1 to 70 characters).
        """
        self.headers = headers
        raw = headers.get(CONTENT_TYPE)
        if raw is None:
            raise ValueError("multipart reader needs a Content-Type header; there is none")
        mtype, params = parse_content_type(raw)
        major, _, subtype = mtype.partition("/")
        if major != "multipart":
            raise ValueError(f"multipart/* content type expected, got {raw!r}")
        boundary = params.get("boundary")
        if boundary is None:
            raise ValueError(f"boundary missed for Content-Type: {raw!r}")
        if _BOUNDARY_RE.fullmatch(boundary) is None:
            raise ValueError(
                f"invalid boundary {boundary!r} in Content-Type {raw!r}: RFC 2046 §5.1.1 "
                "allows 1 to 70 printable ASCII characters, not ending in a space"
            )
        self._subtype = subtype
        self._dash = b"--" + boundary.encode("ascii")
        self._src = _as_source(content)
        self._at_eof = False
        self._at_bof = True
        self._last: BodyPartReader | None = None
        self._default_charset: str | None = None

    def __repr__(self) -> str:
        return f"<MultipartReader {self._dash[2:]!r} at_eof={self._at_eof}>"

    @classmethod
    def from_response(cls, response: ClientResponse) -> MultipartResponseWrapper:
        """A reader of *response*'s body, wrapped so that the response is released once
        the last part has been read.

        Raises:
            ValueError: as for the constructor.
        """
        return cls.response_wrapper_cls(response, cls(response.headers, response.content))

    def at_eof(self) -> bool:
        """True once the close delimiter has been read."""
        return self._at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part, or None after the last.

        Raises:
            ValueError: the body breaks RFC 2046 §5.1 (no opening boundary, a malformed
                boundary line or part header, the stream ending before the close
                delimiter).
        """
        if self._at_eof:
            return None
        if self._last is not None:
            await self._last.release()
            self._last = None
        if self._at_bof:
            more = await self._skip_preamble()
            self._at_bof = False
        else:
            more = self._check_tail(*await read_until(self._src, b"\n", _BOUNDARY_LINE_LIMIT))
        if not more:
            self._at_eof = True
            return None
        headers = await self._read_headers()
        ctype = headers.get(CONTENT_TYPE)
        if ctype is not None and parse_content_type(ctype)[0].startswith("multipart/"):
            self._last = BodyPartReader(self._dash, headers, self._src)
            return (self.multipart_reader_cls or type(self))(headers, self._last)
        body = self.part_reader_cls(
            self._dash, headers, self._src,
            subtype=self._subtype, default_charset=self._default_charset,
        )
        self._last = body
        if await self._is_charset_part(body):
            return await self.next()
        return body

    async def _is_charset_part(self, part: BodyPartReader) -> bool:
        # RFC 7578 §4.6: a first form-data field named "_charset_" holds the default
        # charset of the fields after it.
        if self._subtype != "form-data" or self._default_charset is not None:
            return False
        if part.name != "_charset_":
            return False
        # The longest charset name WHATWG lists has 19 characters: 31 bytes is plenty.
        value = b""
        while not part.at_eof() and len(value) < 32:
            value += await part.read_chunk(32)
        if len(value) > 31:
            raise ValueError(f"_charset_ field is not a charset name: {value[:32]!r}...")
        name = value.strip().decode("ascii", "replace")
        if normalize_charset(name) is None:  # rather than a LookupError from text() later
            raise ValueError(f"_charset_ field names no known charset: {name!r}")
        self._default_charset = name
        return True

    async def _skip_preamble(self) -> bool:
        """Skip to the first boundary line: True for a part, False for the close delimiter."""
        at_line_start = True
        # Each round consumes at least the dash-boundary, so the stream's end bounds it.
        while True:
            preamble = Delimited(
                self._src, self._dash, "the preamble (no opening boundary)", at_line_start
            )
            while await preamble.read(1 << 30):
                pass
            line, found = await read_until(self._src, b"\n", _BOUNDARY_LINE_LIMIT)
            try:
                return self._check_tail(line, found)
            except ValueError:
                if not line:
                    raise
            # A preamble line that only starts like the boundary ("--boundaryX") is text.
            self._src.unread(line)
            at_line_start = False

    def _check_tail(self, line: bytes, found: bool) -> bool:
        """Judge the line after a dash-boundary: True for another part, False for the end.

        Raises:
            ValueError: neither transport padding and CRLF nor "--" (RFC 2046 §5.1.1).
        """
        if line[:2] == b"--":
            # The close delimiter; the epilogue after it is ignored (RFC 2046 §5.1.1).
            self._src.unread(line[2:])
            return False
        if found and line.endswith(b"\r\n") and not line[:-2].strip(b" \t"):
            return True
        if not line:
            raise ValueError(
                f"multipart body ended right after boundary {self._dash!r}, "
                "before the close delimiter (truncated body)"
            )
        raise ValueError(
            f"invalid boundary line {self._dash + line[:64]!r}: expected CRLF or '--' "
            f"after {self._dash!r} (RFC 2046 §5.1.1)"
        )

    async def _read_headers(self) -> CIMultiDictProxy[str]:
        # The boundary line's CRLF is the prefix, so a part with no headers ("CRLF CRLF"
        # right after the boundary line) is found as a blank line too.
        block, found = await read_until(self._src, b"\r\n\r\n", HEAD_LIMIT, prefix=b"\r\n")
        if not found:
            if len(block) > HEAD_LIMIT:
                raise ValueError(f"part header block longer than {HEAD_LIMIT} bytes")
            raise ValueError(
                f"multipart body ended inside a part's headers: {block[2:66]!r} (truncated body)"
            )
        if len(block) == 4:
            return CIMultiDictProxy(CIMultiDict())
        return parse_headers(block[2:-4])

    async def release(self) -> None:
        """Read every remaining part to the void."""
        while not self._at_eof:
            part = await self.next()
            if part is None:
                break
            await part.release()

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part


class MultipartResponseWrapper:
    """A :class:`MultipartReader` over a response, releasing the response once the last
    part has been read (what :meth:`MultipartReader.from_response` returns).

    Attributes:
        resp: the response.
        stream: the reader.
    """

    __module__ = "ketch"

    def __init__(self, resp: ClientResponse, stream: MultipartReader) -> None:
        self.resp = resp
        self.stream = stream

    def at_eof(self) -> bool:
        """True when the whole response body has been read."""
        return self.resp.content.at_eof()

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part, or None after the last (the response is then released)."""
        item = await self.stream.next()
        if self.stream.at_eof():
            await self.release()
        return item

    async def release(self) -> None:
        """Release the response (its connection is pooled only if the body was read)."""
        await self.resp.release()

    __aiter__ = MultipartReader.__aiter__
    __anext__ = MultipartReader.__anext__


MultipartReader.response_wrapper_cls = MultipartResponseWrapper
