"""The grammar of heads: status line and field lines (RFC 9112 §4, §5; RFC 9110 §5).

Field sections are parsed in one of two ways. The fast path checks a whole block of
field lines with one regular expression (tokens, a colon, legal value bytes, CRLF
endings), splits it with bytes methods, and decodes all names and values with a
single ``decode`` call for the multidict. Anything the fast path refuses (obs-fold,
a bad byte, a long line) goes to the slow path, which walks the lines, folds
continuation lines and names exactly what is wrong.
"""

from __future__ import annotations

import re

from multidict import CIMultiDict, CIMultiDictProxy

from ._events import RawHeaders
from ._exceptions import LimitExceeded, RemoteProtocolError, shorten

__all__ = ["parse_fields", "parse_status_line", "EMPTY_FIELDS", "STATUS_CACHE", "CHUNK_LINE"]

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# RFC 9110 §5.1: field-name = token.
_TOKEN_RE = re.compile(_TOKEN)
# RFC 9110 §5.5: field-value bytes are VCHAR, obs-text, SP and HTAB; no CTL.
_VALUE_BYTES = rb"[\t\x20-\x7e\x80-\xff]*"
# Possessive quantifiers: nothing here needs backtracking, and they run faster.
_FIELDS_OK = re.compile(rb"(?:" + _TOKEN + rb"+:" + _VALUE_BYTES + rb"+\r\n)*+")
# Splits "\r\nname: value\r\nname: value" into ["", name, value, name, value].
_SPLIT = re.compile(rb"\r\n(" + _TOKEN + rb"+):[ \t]*+")
_BAD_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9112 §7.1: chunk-size = 1*HEXDIG (bounded here to 16 digits: 64 bits), then
# chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
_QUOTED = rb'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
CHUNK_LINE = re.compile(
    rb"([0-9A-Fa-f]{1,16}+)(?:[ \t]*+;[ \t]*+" + _TOKEN
    + rb"+(?:[ \t]*+=[ \t]*+(?:" + _TOKEN + rb"+|" + _QUOTED + rb"))?+)*+"
)
# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
# The SP before an empty reason is often left out; both forms are accepted.
_STATUS_RE = re.compile(rb"HTTP/1\.([0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?")

# Status lines repeat ("HTTP/1.1 200 OK"): their parse is remembered, boundedly.
STATUS_CACHE: dict[bytes, tuple[tuple[int, int], int, str]] = {}
STATUS_CACHE_SIZE = 256
_CACHED_LINE_MAX = 64

EMPTY_FIELDS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


def parse_fields(
    data: bytes, start: int, end: int, max_field_size: int, max_headers: int,
    what: str = "header",
) -> tuple[CIMultiDictProxy[str], RawHeaders]:
    """Parse the field lines of ``data[start:end]`` into a multidict and raw pairs.

    Args:
        data: the bytes holding the field section.
        start: the index of the CRLF that ends the line before the first field line.
        end: the index of the CRLF that ends the last field line (the blank line follows).
        max_field_size: the longest field line allowed (without its CRLF).
        max_headers: the most fields allowed.
        what: ``"header"`` or ``"trailer"``, for messages.

    Raises:
        LimitExceeded: a line is too long or there are too many fields.
        RemoteProtocolError: a line breaks the field grammar.
    """
    if start >= end:
        return EMPTY_FIELDS, ()
    if _FIELDS_OK.fullmatch(data, start + 2, end + 2) is not None and (
        end - start <= max_field_size + 2
        or max(map(len, data[start + 2:end].split(b"\r\n"))) <= max_field_size
    ):
        # One split at "CRLF name:" boundaries gives names and values in turn (a colon
        # inside a value is never after a CRLF); the grammar check above guarantees a
        # token before each colon and no CR or LF inside values.
        flat = _SPLIT.split(data[start:end])
        del flat[0]
        if len(flat) > 2 * max_headers:
            raise LimitExceeded("max_headers", max_headers, len(flat) // 2)
        if data.find(b" \r\n", start, end + 2) >= 0 or data.find(b"\t\r\n", start, end + 2) >= 0:
            flat[1::2] = [v.rstrip(b" \t") for v in flat[1::2]]
        # Decode every name and value in one call; NUL cannot occur in them.
        text = b"\x00".join(flat).decode("utf-8", "surrogateescape").split("\x00")
        it = iter(text)
        itb = iter(flat)
        return CIMultiDictProxy(CIMultiDict(list(zip(it, it)))), tuple(zip(itb, itb))
    return _parse_fields_slow(data[start + 2:end + 2], max_field_size, max_headers, what)


def _parse_fields_slow(
    block: bytes, max_field_size: int, max_headers: int, what: str
) -> tuple[CIMultiDictProxy[str], RawHeaders]:
    raw: list[tuple[bytes, bytes]] = []
    lines = block.split(b"\r\n")
    del lines[-1]  # the block ends with CRLF
    for line in lines:
        if len(line) > max_field_size:
            raise LimitExceeded("max_field_size", max_field_size, len(line))
        bad = _BAD_BYTE.search(line)
        if bad is not None:
            raise RemoteProtocolError(f"{_describe(bad.group())} in {what} line {shorten(line)}")
        if line[:1] in (b" ", b"\t"):
            # RFC 9112 §5.2: a user agent replaces each obs-fold with SP. Whitespace
            # before the first field is refused instead (RFC 9112 §2.2).
            if not raw:
                raise RemoteProtocolError(
                    f"first {what} line starts with whitespace: {shorten(line)}"
                )
            name, value = raw[-1]
            more = line.strip(b" \t")
            raw[-1] = (name, value + b" " + more if value and more else value or more)
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise RemoteProtocolError(f"{what} line without a colon: {shorten(line)}")
        if _TOKEN_RE.fullmatch(name) is None:
            if name and name.rstrip(b" \t") != name:
                # RFC 9112 §5.1: no whitespace between field name and colon.
                raise RemoteProtocolError(
                    f"whitespace between {what} name and colon: {shorten(line)}"
                )
            raise RemoteProtocolError(f"invalid {what} name {shorten(name)} in {shorten(line)}")
        raw.append((name, value.strip(b" \t")))
    if len(raw) > max_headers:
        raise LimitExceeded("max_headers", max_headers, len(raw))
    md: CIMultiDict[str] = CIMultiDict(
        [(n.decode("ascii"), v.decode("utf-8", "surrogateescape")) for n, v in raw]
    )
    return CIMultiDictProxy(md), tuple(raw)


def _describe(char: bytes) -> str:
    if char == b"\x00":
        return "NUL"
    if char == b"\r":
        return "bare CR"
    if char == b"\n":
        return "bare LF"
    return f"control character {char!r}"


def parse_status_line(data: bytes, start: int, end: int) -> tuple[tuple[int, int], int, str]:
    """Parse ``data[start:end]`` as a status line: ``(version, status, reason)``.

    Raises:
        RemoteProtocolError: the line is not ``HTTP/1.x NNN [reason]``.
    """
    if end - start <= _CACHED_LINE_MAX:
        line = data[start:end]
        parsed = STATUS_CACHE.get(line)
        if parsed is not None:
            return parsed
        parsed = _parse_status_line(data, start, end)
        if len(STATUS_CACHE) < STATUS_CACHE_SIZE:
            STATUS_CACHE[line] = parsed
        return parsed
    return _parse_status_line(data, start, end)


def _parse_status_line(data: bytes, start: int, end: int) -> tuple[tuple[int, int], int, str]:
    m = _STATUS_RE.fullmatch(data, start, end)
    if m is None:
        raise RemoteProtocolError(_status_problem(data[start:end]))
    minor, code, reason = m.groups()
    status = int(code)
    if status < 100 or status > 599:
        # RFC 9110 §15: status codes are 100 to 599.
        raise RemoteProtocolError(f"status code {status} out of range in {shorten(data[start:end])}")
    # RFC 9112 §2.6: a higher minor version of HTTP/1 is handled as HTTP/1.1.
    version = (1, 0) if minor == b"0" else (1, 1)
    return version, status, reason.decode("utf-8", "surrogateescape") if reason else ""


def _status_problem(line: bytes) -> str:
    if not line.startswith(b"HTTP/"):
        return f"invalid status line (not HTTP/1.x): {shorten(line)}"
    bad = _BAD_BYTE.search(line)
    if bad is not None:
        return f"{_describe(bad.group())} in status line {shorten(line)}"
    version, _, rest = line.partition(b" ")
    if re.fullmatch(rb"HTTP/1\.[0-9]", version) is None:
        return f"unsupported HTTP version {shorten(version)} in status line {shorten(line)}"
    return f"invalid status code in status line {shorten(line)}"
