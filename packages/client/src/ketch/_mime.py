"""MIME header helpers for request bodies: injection checks and Content-Disposition."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

__all__ = ["charset_of", "check_header", "content_disposition_header", "guess_filename"]

_FORBIDDEN = re.compile(r"[\r\n\x00]")
# RFC 9110 §5.6.2 token characters.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# RFC 5322 §3.2.4 qtext plus space and tab: what may appear in a 7-bit quoted-string.
_QCONTENT = frozenset(chr(i) for i in range(0x20, 0x7F)) | {"\t"}
_QUOTE_ESCAPE = re.compile(r'([\\"])')


def check_header(name: str, value: str) -> None:
    """Refuse a header that could split the message (CR, LF or NUL anywhere in it).

    Raises:
        ValueError: naming the header and showing the offending value.
    """
    if _FORBIDDEN.search(name) or _FORBIDDEN.search(value):
        raise ValueError(
            f"header {name!r} contains CR, LF or NUL, which would inject headers: {value!r}"
        )


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    """Build a MIME ``Content-Disposition`` value (RFC 2183, RFC 7578 §4.2) like aiohttp.

    With *quote_fields*, ``filename`` is percent-encoded inside quotes (what aiohttp sends,
    and what browsers do for the characters they escape); other parameters are quoted
    strings when they are 7-bit text, else use the RFC 2231 extended form
    (``name*=utf-8''...``). Without it, values go in quotes with ``\\`` and ``"`` escaped.

    Raises:
        ValueError: a bad disposition type or parameter name, or CR/LF/NUL in a value.
    """
    if not disptype or not _TOKEN.issuperset(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, val in params.items():
        if not key or not _TOKEN.issuperset(key):
            raise ValueError(f"bad content disposition parameter {key!r}={val!r}")
        if not isinstance(val, str):
            raise TypeError(f"Content-Disposition parameter {key!r} must be str, got {val!r}")
        if _FORBIDDEN.search(val):
            raise ValueError(
                f"Content-Disposition parameter {key!r} contains CR, LF or NUL: {val!r}"
            )
        if not quote_fields:
            parts.append(f'{key}="{_escape_quotes(val)}"')
        elif key.lower() == "filename":
            parts.append(f'{key}="{quote(val, "", encoding=_charset)}"')
        elif _QCONTENT.issuperset(val):
            parts.append(f'{key}="{_escape_quotes(val)}"')
        else:
            parts.append(f"{key}*={_charset}''{quote(val, '', encoding=_charset)}")
    return "; ".join(parts)


def _escape_quotes(value: str) -> str:
    return _QUOTE_ESCAPE.sub(r"\\\1", value)


def guess_filename(obj: object, default: str | None = None) -> str | None:
    """The base name of a file object's ``name`` (not ``<stdin>``-like pseudo names)."""
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name and name[0] != "<" and name[-1] != ">":
        return Path(name).name
    return default


def charset_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None
