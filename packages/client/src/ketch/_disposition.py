"""Content-Disposition helpers aiohttp exports beside its multipart reader (RFC 6266,
RFC 8187, RFC 2231 §3), on top of ketch's own Content-Disposition parser."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from ._helpers import join_continuations
from ._helpers import parse_content_disposition as _parse_disposition

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "content_disposition_filename",
    "parse_content_disposition",
]

class BadContentDispositionHeader(RuntimeWarning):
    """Warned by :func:`parse_content_disposition` for a malformed header."""

    __module__ = "ketch"


class BadContentDispositionParam(RuntimeWarning):
    """Warned for a Content-Disposition parameter that cannot be used (aiohttp's name)."""

    __module__ = "ketch"


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """Split a Content-Disposition value into its type and parameters (RFC 6266).

    Extended parameters (``filename*=UTF-8''...``, RFC 8187) are decoded and kept under
    their starred name; RFC 2231 continuations (``filename*0``...) are kept as sent, for
    :func:`content_disposition_filename` to join.

    Args:
        header: the header value, or None when absent.

    Returns:
        ``(type, params)``: the lowercased disposition type and the parameters with
        lowercased names; ``(None, {})`` for an absent or malformed header (a malformed
        one also warns :class:`BadContentDispositionHeader`).
    """
    if not header:
        return None, {}
    parsed = _parse_disposition(header)
    if parsed.type is None:
        warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
        return None, {}
    return parsed.type, dict(parsed.parameters)


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """The value of parameter *name* from :func:`parse_content_disposition`'s params.

    ``name*`` (RFC 8187) wins over ``name``; otherwise RFC 2231 §3 continuations
    ``name*0``, ``name*1``... are joined in order (decoded when ``name*0*`` is extended).

    Args:
        params: the parameters of a Content-Disposition header.
        name: the parameter wanted: ``filename`` or ``name``.

    Returns:
        The value, or None when it is absent (or its continuations have a gap).
    """
    starred = params.get(name + "*")
    if starred:
        return starred
    plain = params.get(name)
    if plain:
        return plain
    try:
        return join_continuations(params, name)
    except ValueError as exc:
        warnings.warn(BadContentDispositionParam(str(exc)), stacklevel=2)
        return None
