"""The errors of ketch_http1, in one tree.

    HTTP1Error
    ├── LocalProtocolError (also ValueError)   we were asked to send something invalid
    └── RemoteProtocolError                    the peer sent something invalid
        ├── LimitExceeded                      a configured size or count limit was passed
        ├── IncompleteBody                     the connection ended inside a body
        └── DecompressionError                 a Content-Encoding could not be decoded
            └── MissingDecoder                 the codec for an encoding is not installed

Every message says what was wrong and shows the offending bytes (shortened).
"""

from __future__ import annotations

__all__ = [
    "HTTP1Error",
    "LocalProtocolError",
    "RemoteProtocolError",
    "LimitExceeded",
    "IncompleteBody",
    "DecompressionError",
    "MissingDecoder",
]


def shorten(data: bytes | bytearray | memoryview, limit: int = 60) -> str:
    """Return a printable, bounded repr of *data* for error messages."""
    raw = bytes(data[:limit])
    return repr(raw) + ("..." if len(data) > limit else "")


class HTTP1Error(Exception):
    """Base class of every error raised by ketch_http1."""


class LocalProtocolError(HTTP1Error, ValueError):
    """The caller asked to serialize something HTTP/1.1 cannot carry safely."""


class RemoteProtocolError(HTTP1Error):
    """The peer sent bytes that are not a valid HTTP/1.1 response."""


class LimitExceeded(RemoteProtocolError):
    """A configured limit was exceeded.

    Attributes:
        limit: the name of the limit (a field of :class:`ketch_http1.Limits`).
        value: the configured maximum.
        actual: the size or count that was seen (at least ``value + 1``).
    """

    def __init__(self, limit: str, value: int, actual: int) -> None:
        super().__init__(f"{limit} exceeded: {actual} > {value}")
        self.limit = limit
        self.value = value
        self.actual = actual


class IncompleteBody(RemoteProtocolError):
    """The connection closed before the body was complete.

    Attributes:
        expected: the number of bytes announced, or None for chunked framing.
        received: the number of body bytes that arrived.
    """

    def __init__(self, expected: int | None, received: int) -> None:
        if expected is None:
            msg = f"connection closed inside a chunked body after {received} bytes"
        else:
            msg = f"connection closed after {received} of {expected} body bytes"
        super().__init__(msg)
        self.expected = expected
        self.received = received


class DecompressionError(RemoteProtocolError):
    """The body could not be decoded with its Content-Encoding."""


class MissingDecoder(DecompressionError):
    """The Content-Encoding needs an optional package that is not installed."""
