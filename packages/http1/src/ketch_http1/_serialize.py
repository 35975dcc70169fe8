"""Request serialization: heads, chunked framing and Host values (RFC 9112 §3, §6, §7).

Everything is checked before any byte is produced, so an invalid request is never
half sent: a CR, LF or NUL anywhere would let a value end the line early and smuggle
its own fields (request splitting).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ._exceptions import LocalProtocolError

__all__ = ["serialize_head", "encode_chunk", "encode_last_chunk", "host_header"]

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_RE = re.compile(r"[\r\n\x00]")
# RFC 9112 §3.2: the request-target has no whitespace or control characters.
_TARGET_BAD_RE = re.compile(r"[\x00-\x20\x7f]")
# A reg-name or IPv4 address in Host: no delimiters, whitespace or controls.
_HOST_BAD_RE = re.compile(r"[\x00-\x20\x7f/?#@\[\]\\]")
# RFC 9110 §6.5.1: fields that frame, route or authenticate cannot be trailers.
_NOT_TRAILERS = frozenset(("content-length", "transfer-encoding", "host", "trailer"))


def _check(kind: str, value: str) -> None:
    if _FORBIDDEN_RE.search(value) is not None:
        raise LocalProtocolError(f"CR, LF or NUL in {kind}: {value[:60]!r}")


def _encode(text: str) -> bytes:
    # UTF-8 as aiohttp sends it; surrogateescape returns a received header's bytes.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"cannot encode request head: {exc}") from exc


def serialize_head(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    version: tuple[int, int] = (1, 1),
) -> bytes:
    """Return the request line and header fields, ending with the blank line.

    Args:
        method: a token such as ``GET``.
        target: the request-target (origin form ``/path?q``, absolute form, or
            ``host:port`` for CONNECT); no whitespace or control characters.
        headers: name/value pairs in the order they are sent.
        version: ``(1, 1)`` or ``(1, 0)``.

    Returns:
        The head, UTF-8 encoded.

    Raises:
        LocalProtocolError: (a ValueError) a part holds CR, LF or NUL; the method or a
            header name is not a token; Content-Length is not digits or comes with
            Transfer-Encoding; chunked is not the final transfer coding. Nothing is
            returned, so nothing is sent.
    """
    if _TOKEN_RE.fullmatch(method) is None:
        raise LocalProtocolError(f"invalid method {method[:60]!r}: must be an HTTP token")
    if not target or _TARGET_BAD_RE.search(target) is not None:
        raise LocalProtocolError(f"invalid request target {target[:60]!r}")
    if version != (1, 1) and version != (1, 0):
        raise LocalProtocolError(f"unsupported HTTP version {version!r}")
    items = headers.items() if isinstance(headers, Mapping) else headers
    parts = [f"{method} {target} HTTP/1.{version[1]}"]
    append = parts.append
    fullmatch = _TOKEN_RE.fullmatch
    forbidden = _FORBIDDEN_RE.search
    length: str | None = None
    te: str | None = None
    for name, value in items:
        if fullmatch(name) is None:
            raise LocalProtocolError(f"invalid header name {name[:60]!r}")
        if forbidden(value) is not None:
            raise LocalProtocolError(f"CR, LF or NUL in value of header {name!r}: {value[:60]!r}")
        lower = name.lower()
        if lower == "content-length":
            length = value
        elif lower == "transfer-encoding":
            te = value if te is None else f"{te}, {value}"
        append(f"{name}: {value}")
    if length is not None or te is not None:
        _check_framing(length, te)
    append("\r\n")
    return _encode("\r\n".join(parts))


def _check_framing(length: str | None, te: str | None) -> None:
    if length is not None:
        if te is not None:
            # RFC 9112 §6.2: never both; the pair is how requests get smuggled.
            raise LocalProtocolError("a request cannot carry both Content-Length and Transfer-Encoding")
        if not (length.isascii() and length.isdigit()):
            raise LocalProtocolError(f"invalid Content-Length {length[:60]!r}: must be digits")
    elif te is not None:
        codings = [c.strip().lower() for c in te.split(",")]
        # RFC 9112 §6.1: a request's final transfer coding must be chunked, once.
        if codings[-1] != "chunked" or "chunked" in codings[:-1]:
            raise LocalProtocolError(
                f"Transfer-Encoding {te[:60]!r}: chunked must be the final coding, applied once"
            )


def encode_chunk(data: bytes) -> bytes:
    """Frame *data* as one chunk of a chunked body.

    Returns:
        ``size CRLF data CRLF``; b"" for empty data (an empty chunk would end the body).
    """
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def encode_last_chunk(trailers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The last chunk, with optional trailer fields, ending a chunked body.

    Raises:
        LocalProtocolError: a trailer name is not a token, a value holds CR, LF or NUL,
            or the field may not be a trailer (Content-Length, Transfer-Encoding, Host,
            Trailer; RFC 9110 §6.5.1).
    """
    lines = ["0"]
    for name, value in trailers:
        if _TOKEN_RE.fullmatch(name) is None:
            raise LocalProtocolError(f"invalid trailer name {name[:60]!r}")
        if name.lower() in _NOT_TRAILERS:
            raise LocalProtocolError(f"{name!r} cannot be sent as a trailer field")
        _check(f"value of trailer {name!r}", value)
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    return _encode("\r\n".join(lines))


def host_header(host: str, port: int | None, default_port: int | None) -> str:
    """The Host value (RFC 9110 §7.2).

    Args:
        host: a name, an IPv4 address or an IPv6 address (bracketed or not; a zone
            identifier is dropped, it means nothing to the server).
        port: the port of the URL, or None.
        default_port: the scheme's default port, omitted from the value.

    Returns:
        ``host`` or ``host:port``, IPv6 addresses in brackets.

    Raises:
        LocalProtocolError: the host holds whitespace, controls or delimiters, or the
            port is out of range.
    """
    if not host:
        raise LocalProtocolError("empty host")
    if ":" in host:
        addr = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        addr = addr.split("%", 1)[0]
        if not addr or re.fullmatch(r"[0-9A-Fa-f:.]+", addr) is None:
            raise LocalProtocolError(f"invalid IPv6 host {host[:60]!r}")
        host = f"[{addr}]"
    elif _HOST_BAD_RE.search(host) is not None:
        raise LocalProtocolError(f"invalid host {host[:60]!r}")
    if port is None or port == default_port:
        return host
    if not 0 < port < 65536:
        raise LocalProtocolError(f"port {port} out of range")
    return f"{host}:{port}"
