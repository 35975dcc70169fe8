"""Size and count limits for parsing responses."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Limits"]

_DEFAULT_HEAD = 65536
_DEFAULT_TRAILER = 16384


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Size and count limits applied while parsing a response.

    Each limit, when passed, raises :class:`LimitExceeded` naming the field and its value.
    The first three have the names and defaults of aiohttp's ``ClientSession`` arguments.

    Attributes:
        max_line_size: longest status line or chunk-size line, in bytes (without CRLF).
        max_field_size: longest single header or trailer field line (name, colon and
            value, without CRLF), in bytes.
        max_headers: most fields in one head, and in one trailer section.
        max_head_size: largest whole head (status line, fields and the blank line), in bytes.
        max_trailer_size: largest trailer section of a chunked body, in bytes.
        max_decompressed_chunk: most decoded bytes one call of ``feed``/``feed_eof``
            produces from a compressed body; more output waits for the next call
            (see :attr:`ResponseParser.output_pending`), so a decompression bomb cannot
            exhaust memory.

    Raises:
        ValueError: a limit is not a positive integer.
    """

    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128
    max_head_size: int = _DEFAULT_HEAD
    max_trailer_size: int = _DEFAULT_TRAILER
    max_decompressed_chunk: int = 262144

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{f.name} must be a positive int, not {value!r}")

    @classmethod
    def from_session_args(
        cls, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> Limits:
        """Limits from aiohttp's ``ClientSession(max_line_size=, max_field_size=, max_headers=)``.

        The whole-head and trailer limits are raised when needed so that a status line
        and one field of the largest allowed size always fit.

        Returns:
            The limits, other fields at their defaults.

        Raises:
            ValueError: a limit is not a positive integer.
        """
        room = max_line_size + max_field_size + 6
        return cls(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            max_head_size=max(_DEFAULT_HEAD, room),
            max_trailer_size=max(_DEFAULT_TRAILER, max_field_size + 4),
        )
