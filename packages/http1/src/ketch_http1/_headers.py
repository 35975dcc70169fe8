"""Field-line parsing shared by heads and trailers (RFC 9112 §5)."""

from __future__ import annotations

import re

from multidict import CIMultiDict, CIMultiDictProxy

from ._events import RawHeaders
from ._exceptions import LimitExceeded, RemoteProtocolError, shorten

# RFC 9110 §5.1: field-name = token.
TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.5: field values carry no CTL other than HTAB (obs-text is allowed).
BAD_VALUE_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def parse_fields(
    lines: list[bytes], max_field_size: int, max_headers: int
) -> tuple[CIMultiDictProxy[str], RawHeaders]:
    """Parse field lines (without their CRLF) into a multidict and raw pairs."""
    if len(lines) > max_headers:
        raise LimitExceeded("max_headers", max_headers, len(lines))
    raw: list[tuple[bytes, bytes]] = []
    fullmatch = TOKEN_RE.fullmatch
    bad = BAD_VALUE_RE.search
    for line in lines:
        if len(line) > max_field_size:
            raise LimitExceeded("max_field_size", max_field_size, len(line))
        if line[:1] in b" \t":
            # RFC 9112 §5.2: a user agent replaces obs-fold with SP before use.
            if not raw:
                raise RemoteProtocolError(f"first field line starts with whitespace: {shorten(line)}")
            name, value = raw[-1]
            folded = value + b" " + line.strip(b" \t")
            if bad(folded):
                raise RemoteProtocolError(f"invalid character in field value: {shorten(line)}")
            raw[-1] = (name, folded)
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise RemoteProtocolError(f"field line without a colon: {shorten(line)}")
        if fullmatch(name) is None:
            raise RemoteProtocolError(f"invalid field name {shorten(name)} in {shorten(line)}")
        value = value.strip(b" \t")
        if bad(value) is not None:
            raise RemoteProtocolError(f"invalid character in value of field {shorten(name)}: {shorten(value)}")
        raw.append((name, value))
    md: CIMultiDict[str] = CIMultiDict(
        [(n.decode("ascii"), v.decode("utf-8", "surrogateescape")) for n, v in raw]
    )
    return CIMultiDictProxy(md), tuple(raw)
