"""``MultipartWriter``: a multipart body (RFC 2046 §5.1) built from payloads.

Framing, for each part: ``--boundary CRLF``, the part's headers, ``CRLF``, the part's
bytes, ``CRLF``; then ``--boundary-- CRLF``. Part headers are checked for CR, LF and NUL
when the framing is built (before anything is sent), so no value can inject a header.

For ``multipart/form-data`` (RFC 7578) every part needs a ``Content-Disposition`` with a
name (a ``section-N`` default is given), and ``Content-Length``, ``Content-Encoding`` and
``Content-Transfer-Encoding`` part headers are refused (§4.7, §4.8). Other subtypes get a
``Content-Length`` part header when the size is known, and honour ``Content-Encoding``
(gzip, deflate) and ``Content-Transfer-Encoding`` (base64, quoted-printable) set on a
part, as aiohttp does.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict

from ._mime import check_header
from ._payload import (
    CHUNK_SIZE,
    JsonPayload,
    Payload,
    StringPayload,
    get_payload,
)

__all__ = ["MultipartWriter"]

# RFC 2046 §5.1.1 bchars (the boundary alphabet); a boundary must not end with a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
# RFC 9110 §5.6.2 token: such a boundary needs no quotes in the Content-Type parameter.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NAME_PARAM = re.compile(r";\s*name\*?\s*=", re.IGNORECASE)
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_Part = tuple[Payload, str | None, str | None]


class MultipartWriter(Payload):
    """A multipart body (aiohttp's ``MultipartWriter``), usable as a context manager.

    Args:
        subtype: ``mixed``, ``form-data``, ``related``, ...
        boundary: the delimiter; a random one (``uuid4().hex``) by default.

    Raises:
        ValueError: the boundary is not 1-70 RFC 2046 boundary characters.
    """

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = uuid.uuid4().hex if boundary is None else boundary
        if not _BOUNDARY.fullmatch(boundary):
            raise ValueError(
                "boundary must be 1 to 70 characters from RFC 2046 §5.1.1 (letters, digits, "
                f"'()+_,-./:=? and inner spaces), got {boundary!r}"
            )
        self._boundary = boundary.encode("ascii")
        value = boundary if _TOKEN.fullmatch(boundary) else f'"{boundary}"'
        super().__init__(None, content_type=f"multipart/{subtype}; boundary={value}")
        self._parts: list[_Part] = []
        self._is_form_data = subtype == "form-data"

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def __iter__(self) -> Iterator[_Part]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    @property
    def boundary(self) -> str:
        """The boundary string."""
        return self._boundary.decode("ascii")

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part made from *obj* (any body form ``data=`` accepts, or a Payload).

        Returns:
            The part's payload (set its disposition or headers on it).

        Raises:
            TypeError: no payload can be made from *obj*.
        """
        if isinstance(obj, Payload):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        hdrs: CIMultiDict[str] = CIMultiDict(headers or {})
        ctype = hdrs.get("Content-Type")
        kwargs: dict[str, Any] = {"headers": hdrs}
        if ctype is not None:
            kwargs["content_type"] = ctype
        try:
            payload = get_payload(obj, **kwargs)
        except TypeError as exc:
            raise TypeError(f"Cannot create payload from {obj!r:.80}") from exc
        return self.append_payload(payload)

    def append_payload(self, payload: Payload) -> Payload:
        """Add *payload* as a part.

        Raises:
            ValueError: a header RFC 7578 forbids in form-data, or an unknown
                Content-Encoding / Content-Transfer-Encoding.
        """
        encoding: str | None = None
        te: str | None = None
        hdrs = payload.headers
        if self._is_form_data:
            for name in ("Content-Encoding", "Content-Length", "Content-Transfer-Encoding"):
                if name in hdrs:
                    raise ValueError(
                        f"multipart/form-data parts must not have a {name} header "
                        f"(RFC 7578 §4.7-4.8), got {hdrs[name]!r}"
                    )
            if "Content-Disposition" not in hdrs:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        else:
            encoding = hdrs.get("Content-Encoding", "").lower() or None
            if encoding == "identity":
                encoding = None
            if encoding is not None and encoding not in _WBITS:
                raise ValueError(f"unknown content encoding for a part: {encoding!r}")
            te = hdrs.get("Content-Transfer-Encoding", "").lower() or None
            if te == "binary":
                te = None
            if te is not None and te not in ("base64", "quoted-printable"):
                raise ValueError(f"unknown content transfer encoding for a part: {te!r}")
            if payload.size is not None and not (encoding or te):
                hdrs["Content-Length"] = str(payload.size)
        self._parts.append((payload, encoding, te))
        return payload

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add *obj* serialized as JSON."""
        return self.append_payload(JsonPayload(obj, headers=headers))

    def append_form(
        self, obj: Sequence[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        """Add *obj* as an ``application/x-www-form-urlencoded`` part."""
        if isinstance(obj, Mapping):
            obj = list(obj.items())
        data = urlencode(obj, doseq=True)
        return self.append_payload(
            StringPayload(data, headers=headers, content_type="application/x-www-form-urlencoded")
        )

    def _framing(self) -> list[bytes]:
        """Each part's opening delimiter and headers, checked for header injection."""
        out = []
        delimiter = b"--" + self._boundary + b"\r\n"
        for payload, _, _ in self._parts:
            hdrs = payload.headers
            if self._is_form_data and not _NAME_PARAM.search(hdrs.get("Content-Disposition", "")):
                raise ValueError(
                    "multipart/form-data parts need a Content-Disposition with a name "
                    f"(RFC 7578 §4.2), got {hdrs.get('Content-Disposition')!r}"
                )
            lines = []
            for name, value in hdrs.items():
                check_header(name, value)
                lines.append(f"{name}: {value}\r\n")
            out.append(delimiter + "".join(lines).encode("utf-8") + b"\r\n")
        return out

    @property
    def size(self) -> int | None:
        """The exact body size, or None when a part's size is unknown or encoded."""
        framing = self._framing()
        total = len(self._boundary) + 6  # --boundary--CRLF
        for (payload, encoding, te), head in zip(self._parts, framing):
            if encoding or te or payload.size is None:
                return None
            total += len(head) + payload.size + 2
        return total

    @property
    def body(self) -> bytes | None:
        """The whole body when every part is in memory and unencoded, else None."""
        framing = self._framing()
        pieces: list[bytes] = []
        for (payload, encoding, te), head in zip(self._parts, framing):
            part = payload.body
            if part is None or encoding or te:
                return None
            pieces += (head, part, b"\r\n")
        pieces.append(b"--" + self._boundary + b"--\r\n")
        return b"".join(pieces)

    @property
    def is_replayable(self) -> bool:
        return all(p.is_replayable for p, _, _ in self._parts)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        framing = self._framing()
        for (payload, encoding, te), head in zip(self._parts, framing):
            yield head
            chunks = payload.iter_chunks()
            if encoding:
                chunks = _compressed(chunks, _WBITS[encoding])
            if te == "base64":
                chunks = _base64(chunks)
            elif te == "quoted-printable":
                chunks = _quoted_printable(chunks)
            async for chunk in chunks:
                if chunk:
                    yield chunk
            yield b"\r\n"
        yield b"--" + self._boundary + b"--\r\n"

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The in-memory body as text (every part must be in memory)."""
        return super().decode(encoding, errors)

    def close(self) -> None:
        """Close every part."""
        for payload, _, _ in self._parts:
            payload.close()


async def _compressed(chunks: AsyncIterator[bytes], wbits: int) -> AsyncIterator[bytes]:
    c = zlib.compressobj(wbits=wbits)
    async for chunk in chunks:
        if out := c.compress(chunk):
            yield out
    yield c.flush()


async def _base64(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    # Encode whole 3-byte groups only, so chunk borders never insert padding.
    rest = b""
    async for chunk in chunks:
        data = rest + chunk
        cut = len(data) - len(data) % 3
        rest = data[cut:]
        if cut:
            yield base64.b64encode(data[:cut])
    if rest:
        yield base64.b64encode(rest)


async def _quoted_printable(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    # Encode whole lines only, so soft line breaks and escapes never straddle chunks.
    rest = b""
    async for chunk in chunks:
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if len(rest) > CHUNK_SIZE:
            cut, rest = len(data), b""
        if cut:
            yield binascii.b2a_qp(data[:cut])
    if rest:
        yield binascii.b2a_qp(rest)
