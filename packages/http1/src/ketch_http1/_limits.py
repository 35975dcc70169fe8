from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Size and count limits applied while parsing a response.

    Each limit, when passed, raises :class:`LimitExceeded` naming the field.

    Attributes:
        max_line_size: longest status line or chunk-size line, in bytes.
        max_field_size: longest single header or trailer field line, in bytes.
        max_headers: most header fields in one head (and trailers in one trailer section).
        max_head_size: largest whole head (status line and fields), in bytes.
        max_trailer_size: largest trailer section, in bytes.
        max_decompressed_chunk: most decompressed bytes produced per input chunk;
            larger output is produced in several pieces, never all at once.
    """

    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128
    max_head_size: int = 65536
    max_trailer_size: int = 16384
    max_decompressed_chunk: int = 262144
