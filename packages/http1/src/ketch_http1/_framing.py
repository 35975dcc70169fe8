"""How a response's body is delimited, and whether the connection survives it.

RFC 9112 §6.3 in code: the request method, the status and the framing fields
(Transfer-Encoding, Content-Length, Connection) decide where the message ends.
"""

from __future__ import annotations

from multidict import CIMultiDictProxy

from ._decompress import SUPPORTED_ENCODINGS, split_codings
from ._exceptions import RemoteProtocolError

__all__ = ["Framing", "response_framing", "parse_content_length"]

_DECODABLE = frozenset(SUPPORTED_ENCODINGS)
_MAX_LENGTH_DIGITS = 18


# keep_alive, switched, chunked, content_length (None: chunked or read until close),
# transfer codings to undo besides chunked and the Content-Encoding codings (only when
# all are decodable), both in the order applied. A plain tuple: one is made per response.
Framing = tuple[bool, bool, bool, "int | None", list[str], list[str]]
_NO_CODINGS: list[str] = []


def _keep_alive(version: tuple[int, int], values: list[str]) -> bool:
    if len(values) == 1:
        # The usual single token, spelled as servers send it: no splitting needed.
        value = values[0]
        if value == "keep-alive" or value == "Keep-Alive":
            return True
        if value == "close":
            return False
    tokens = {t.strip().lower() for v in values for t in v.split(",")}
    if "close" in tokens:
        return False
    # RFC 9112 §9.3: HTTP/1.1 persists by default; HTTP/1.0 only with keep-alive.
    return version[1] >= 1 or "keep-alive" in tokens


def parse_content_length(values: list[str]) -> int:
    """The body length from one or more Content-Length values.

    Raises:
        RemoteProtocolError: a value is not decimal digits, or the values differ.
    """
    if len(values) == 1:
        value = values[0]
        if value.isascii() and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS:
            return int(value)
    # RFC 9110 §8.6: a list of identical values (or repeated fields) counts as one.
    parts = {p.strip() for v in values for p in v.split(",")}
    if len(parts) != 1:
        raise RemoteProtocolError(f"conflicting Content-Length values: {values!r}")
    value = parts.pop()
    if not (value.isascii() and value.isdigit()):
        raise RemoteProtocolError(f"invalid Content-Length value: {values!r}")
    if len(value) > _MAX_LENGTH_DIGITS:
        raise RemoteProtocolError(f"Content-Length too large: {value[:40]!r}")
    return int(value)


def _transfer_codings(values: list[str]) -> tuple[bool, list[str]]:
    codings = split_codings(",".join(values))
    if not codings:
        raise RemoteProtocolError(f"empty Transfer-Encoding: {values!r}")
    chunked = codings[-1] == "chunked"
    rest = codings[:-1] if chunked else codings
    if codings.count("chunked") > 1:
        # RFC 9112 §6.1: a sender MUST NOT apply chunked more than once.
        raise RemoteProtocolError(f"chunked applied more than once: {values!r}")
    for coding in rest:
        if coding not in _DECODABLE and coding != "chunked":
            raise RemoteProtocolError(f"unsupported transfer coding {coding!r} in {values!r}")
    # A chunked left in *rest* is not final: §6.3 (4) makes the body run to the close,
    # and the chunk framing is undone with the other codings.
    return chunked, [c for c in rest if c != "identity"]


def response_framing(
    method: str, version: tuple[int, int], status: int, headers: CIMultiDictProxy[str]
) -> Framing:
    """Decide the framing of a final response (RFC 9112 §6.3).

    Raises:
        RemoteProtocolError: the framing fields are invalid or contradictory.
    """
    # RFC 9112 §9.3: HTTP/1.1 persists by default; HTTP/1.0 only with keep-alive.
    values = headers.getall("Connection", None)
    keep_alive = version[1] >= 1 if values is None else _keep_alive(version, values)
    # §6.3 (2): a 2xx to CONNECT turns the connection into a tunnel; 101 likewise.
    if status == 101 or (method == "CONNECT" and 200 <= status < 300):
        return (False, True, False, None, [], [])
    # §6.3 (1): no content after HEAD, 1xx, 204 and 304, whatever the fields say.
    if method == "HEAD" or status == 204 or status == 304 or status < 200:
        return (keep_alive, False, False, 0, [], [])
    content_codings: list[str] = _NO_CODINGS
    ce = headers.getall("Content-Encoding", None)
    if ce is not None:
        codings = split_codings(",".join(ce))
        # Unknown content codings are passed through undecoded (the body is still
        # the representation; the caller sees Content-Encoding and decides).
        if all(c in _DECODABLE for c in codings):
            content_codings = [c for c in codings if c != "identity"]
    te = headers.getall("Transfer-Encoding", None)
    if te is not None:
        chunked, transfer = _transfer_codings(te)
        if version[1] == 0:
            # §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            keep_alive = False
        if chunked:
            # §6.3 (3): Transfer-Encoding overrides Content-Length; such a message may
            # be an attempt at response splitting, so the connection is not reused.
            if "Content-Length" in headers:
                keep_alive = False
            return (keep_alive, False, True, None, transfer, content_codings)
        # §6.3 (4): chunked not final: the body ends when the connection closes.
        return (False, False, False, None, transfer, content_codings)
    cl = headers.getall("Content-Length", None)
    if cl is not None:
        value = cl[0]
        if len(cl) == 1 and value.isdigit() and value.isascii() and len(value) <= _MAX_LENGTH_DIGITS:
            length = int(value)
        else:
            length = parse_content_length(cl)
        return (keep_alive, False, False, length, _NO_CODINGS, content_codings)
    # §6.3 (8): otherwise the body runs until the connection closes.
    return (False, False, False, None, _NO_CODINGS, content_codings)
