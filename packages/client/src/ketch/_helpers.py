"""Small response-side helpers: the HTTP version tuple and Content-Type parsing."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import unquote

__all__ = [
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "http_version",
    "parse_content_type",
    "normalize_charset",
    "ContentDisposition",
    "parse_content_disposition",
    "join_continuations",
]


class HttpVersion(NamedTuple):
    """An HTTP version as ``(major, minor)`` (aiohttp's ``HttpVersion``)."""

    major: int
    minor: int


HttpVersion.__module__ = "ketch"  # its public home, in reprs and pickles

HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)

_VERSIONS = {(1, 0): HttpVersion10, (1, 1): HttpVersion11}


def http_version(version: tuple[int, int]) -> HttpVersion:
    """The shared :class:`HttpVersion` for a parser's ``(major, minor)`` tuple."""
    known = _VERSIONS.get(version)
    return known if known is not None else HttpVersion(*version)


# RFC 9110 §5.6.2: token = 1*tchar
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN_RE = re.compile(_TOKEN)
# RFC 9110 §5.6.6: parameter = name "=" ( token / quoted-string ), after OWS ";" OWS.
# Values that are neither are taken up to the next ";" (servers send unquoted spaces).
_PARAM_RE = re.compile(
    r'[ \t]*;[ \t]*(' + _TOKEN + r')[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;]*))'
)
_QUOTED_PAIR_RE = re.compile(r"\\(.)")

_OCTET_STREAM = "application/octet-stream"

ContentType = tuple[str, dict[str, str]]
_CACHE: dict[str, ContentType] = {}
_CACHE_MAX = 256


def parse_content_type(raw: str | None) -> ContentType:
    """Split a Content-Type value into the lowercased media type and its parameters.

    Parameter names are lowercased; values keep their case, quoted-strings are unquoted
    (RFC 9110 §5.6.4). A missing or unparseable media type is
    ``application/octet-stream`` (RFC 9110 §8.3: the recipient may treat it so).

    Args:
        raw: the header value, or None when the header is absent.

    Returns:
        ``(media_type, parameters)``; treat the dict as read-only (results are shared).
    """
    if raw is None:
        return _OCTET_STREAM, {}
    cached = _CACHE.get(raw)
    if cached is not None:
        return cached
    end = raw.find(";")
    main = (raw if end < 0 else raw[:end]).strip().lower()
    mtype, slash, subtype = main.partition("/")
    params: dict[str, str] = {}
    if not slash or not _TOKEN_RE.fullmatch(mtype) or not _TOKEN_RE.fullmatch(subtype):
        main = _OCTET_STREAM
    elif end >= 0:
        params = _parse_params(raw, end)
    result = (main, params)
    if len(_CACHE) < _CACHE_MAX:
        _CACHE[raw] = result
    return result


def _parse_params(raw: str, pos: int) -> dict[str, str]:
    """The ``; name=value`` parameters of a header value from *pos* (first name wins)."""
    params: dict[str, str] = {}
    while pos < len(raw):
        m = _PARAM_RE.match(raw, pos)
        if m is None:
            nxt = raw.find(";", pos + 1)
            if nxt < 0:
                break
            pos = nxt
            continue
        name, quoted, plain = m.groups()
        value = _QUOTED_PAIR_RE.sub(r"\1", quoted) if quoted is not None else plain.strip()
        params.setdefault(name.lower(), value)
        pos = m.end()
    return params


class ContentDisposition(NamedTuple):
    """A parsed Content-Disposition header (RFC 6266), as aiohttp's.

    Attributes:
        type: the disposition type, lowercased (``attachment``, ``inline``...), or None
            when the header is malformed.
        parameters: every parameter, names lowercased, extended values decoded.
        filename: the file name (``filename*`` preferred over ``filename``), or None.
    """

    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None


# RFC 2231 §3: name*0, name*1... (name*N* when that piece is extended), for any name.
_CONTINUATION_RE = re.compile(r"([^*]+)\*(\d+)(\*?)")


def _ext_value(value: str) -> str | None:
    # RFC 8187 §3.2.1: ext-value = charset "'" [ language ] "'" value-chars
    charset, sep, rest = value.partition("'")
    _, sep2, encoded = rest.partition("'")
    if not sep or not sep2:
        return None
    try:
        return unquote(encoded, charset or "utf-8", "strict")
    except (LookupError, UnicodeDecodeError):
        return None


def join_continuations(params: Mapping[str, str], name: str) -> str | None:
    """The value of parameter *name* sent as RFC 2231 §3 continuations (``name*0``,
    ``name*1``...) in *params*, joined in order and decoded when ``name*0*`` is extended;
    None when there are none (or the value cannot be decoded).

    Raises:
        ValueError: the continuations are not numbered 0, 1, ... without a gap.
    """
    pieces: list[tuple[int, str, bool]] = []
    for key, value in params.items():
        cont = _CONTINUATION_RE.fullmatch(key)
        if cont is not None and cont.group(1) == name:
            pieces.append((int(cont.group(2)), value, bool(cont.group(3))))
    if not pieces:
        return None
    pieces.sort()
    if [n for n, _, _ in pieces] != list(range(len(pieces))):
        raise ValueError(f"{name}: continuations not numbered 0..n")
    joined = "".join(v for _, v, _ in pieces)
    return _ext_value(joined) if pieces[0][2] else joined


def parse_content_disposition(raw: str) -> ContentDisposition:
    """Parse a Content-Disposition value (RFC 6266, RFC 8187 and RFC 2231 continuations)."""
    end = raw.find(";")
    dtype = (raw if end < 0 else raw[:end]).strip()
    if not _TOKEN_RE.fullmatch(dtype):
        return ContentDisposition(None, MappingProxyType({}), None)
    params: dict[str, str] = {}
    for name, value in (_parse_params(raw, end) if end >= 0 else {}).items():
        # Continuation pieces stay as sent: only their join is decoded.
        if name.endswith("*") and _CONTINUATION_RE.fullmatch(name) is None:
            decoded = _ext_value(value)
            if decoded is None:
                continue  # an undecodable extended value is dropped, never half-read
            value = decoded
        params[name] = value
    filename = params.get("filename*") or params.get("filename")
    if filename is None:
        try:
            filename = join_continuations(params, "filename")
        except ValueError:
            filename = None
    return ContentDisposition(dtype.lower(), MappingProxyType(params), filename)


_CHARSETS: dict[str, str | None] = {}


def normalize_charset(charset: str | None) -> str | None:
    """The codec name Python knows *charset* by, or None when it is unknown or empty."""
    if not charset:
        return None
    if charset in _CHARSETS:
        return _CHARSETS[charset]
    try:
        name: str | None = codecs.lookup(charset).name
    except (LookupError, ValueError):
        name = None
    if len(_CHARSETS) < _CACHE_MAX:
        _CHARSETS[charset] = name
    return name
