"""ketch_http1: a sans-IO HTTP/1.1 client codec.

Bytes in, events out (:class:`ResponseParser`); request parts in, bytes out
(:func:`serialize_head`, :func:`encode_chunk`). No sockets, no asyncio.
"""

from ._decompress import SUPPORTED_ENCODINGS, Decoder, make_decoder
from ._events import Data, EndOfMessage, Event, InformationalResponse, RawHeaders, Response
from ._exceptions import (
    DecompressionError,
    HTTP1Error,
    IncompleteBody,
    LimitExceeded,
    LocalProtocolError,
    MissingDecoder,
    RemoteProtocolError,
)
from ._limits import Limits
from ._parse import ParserState, ResponseParser
from ._serialize import encode_chunk, encode_last_chunk, host_header, serialize_head
from ._version import __version__

__all__ = [
    "SUPPORTED_ENCODINGS",
    "Data",
    "DecompressionError",
    "Decoder",
    "EndOfMessage",
    "Event",
    "HTTP1Error",
    "IncompleteBody",
    "InformationalResponse",
    "LimitExceeded",
    "Limits",
    "LocalProtocolError",
    "MissingDecoder",
    "ParserState",
    "RawHeaders",
    "RemoteProtocolError",
    "Response",
    "ResponseParser",
    "__version__",
    "encode_chunk",
    "encode_last_chunk",
    "host_header",
    "make_decoder",
    "serialize_head",
]
