"""aiohttp's ``ETag``: an entity tag as a value (RFC 9110 §8.8.3)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ETag"]


@dataclass(frozen=True, slots=True)
class ETag:
    """An entity tag (RFC 9110 §8.8.3), as aiohttp exports it.

    Attributes:
        value: the opaque tag, without quotes or the ``W/`` prefix.
        is_weak: True for a weak validator (``W/"..."``).
    """

    __module__ = "ketch"

    value: str
    is_weak: bool = False
