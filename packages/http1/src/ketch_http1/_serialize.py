"""Request serialization: heads, chunked framing and Host values (RFC 9112 §3, §7)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ._exceptions import LocalProtocolError

__all__ = ["serialize_head", "encode_chunk", "encode_last_chunk", "host_header"]

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Anything that could end a line or a field early; checked on every part we write.
_FORBIDDEN_RE = re.compile(r"[\r\n\x00]")
_TARGET_BAD_RE = re.compile(r"[\x00-\x20\x7f]")


def _check(kind: str, value: str) -> None:
    if _FORBIDDEN_RE.search(value) is not None:
        raise LocalProtocolError(f"CR, LF or NUL in {kind}: {value[:60]!r}")


def serialize_head(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    version: tuple[int, int] = (1, 1),
) -> bytes:
    """Return the request line and header fields, ending with the blank line.

    Args:
        method: a token such as ``GET``.
        target: the request-target (origin form ``/path?q``, absolute form, or ``host:port``
            for CONNECT); no whitespace or control characters.
        headers: name/value pairs in the order they are sent.
        version: ``(1, 1)`` or ``(1, 0)``.

    Raises:
        LocalProtocolError: (a ValueError) a part holds CR, LF or NUL, the method is not a
            token, or a header name is not a token. Nothing is returned, so nothing is sent.
    """
    if _TOKEN_RE.fullmatch(method) is None:
        raise LocalProtocolError(f"invalid method {method[:60]!r}: must be an HTTP token")
    if not target or _TARGET_BAD_RE.search(target) is not None:
        raise LocalProtocolError(f"invalid request target {target[:60]!r}")
    if version not in ((1, 1), (1, 0)):
        raise LocalProtocolError(f"unsupported HTTP version {version!r}")
    items = headers.items() if isinstance(headers, Mapping) else headers
    parts = [f"{method} {target} HTTP/{version[0]}.{version[1]}"]
    append = parts.append
    fullmatch = _TOKEN_RE.fullmatch
    for name, value in items:
        if fullmatch(name) is None:
            raise LocalProtocolError(f"invalid header name {name[:60]!r}")
        _check(f"value of header {name!r}", value)
        append(f"{name}: {value}")
    append("\r\n")
    try:
        return "\r\n".join(parts).encode("latin-1")
    except UnicodeEncodeError:
        # Non-Latin-1 values are sent as UTF-8 bytes rather than refused.
        return "\r\n".join(parts).encode("utf-8")


def encode_chunk(data: bytes) -> bytes:
    """Frame *data* as one chunk of a chunked body; an empty chunk is not framed (b"")."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def encode_last_chunk(trailers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The last chunk, with optional trailer fields, ending the chunked body."""
    lines = [b"0"]
    for name, value in trailers:
        if _TOKEN_RE.fullmatch(name) is None:
            raise LocalProtocolError(f"invalid trailer name {name[:60]!r}")
        _check(f"value of trailer {name!r}", value)
        lines.append(f"{name}: {value}".encode("latin-1"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def host_header(host: str, port: int | None, default_port: int | None) -> str:
    """The Host value: IPv6 literals bracketed, the scheme's default port omitted."""
    _check("host", host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port is None or port == default_port:
        return host
    return f"{host}:{port}"
