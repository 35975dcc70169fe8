"""The public surface of ketch_http1, pinned."""

from __future__ import annotations

import ketch_http1

EXPECTED = {
    "SUPPORTED_ENCODINGS", "Data", "DecompressionError", "Decoder", "EndOfMessage", "Event",
    "HTTP1Error", "IncompleteBody", "InformationalResponse", "LimitExceeded", "Limits",
    "LocalProtocolError", "MissingDecoder", "ParserState", "RawHeaders", "RemoteProtocolError",
    "Response", "ResponseParser", "__version__", "encode_chunk", "encode_last_chunk",
    "host_header", "make_decoder", "serialize_head",
}


def test_all_is_the_public_surface() -> None:
    assert set(ketch_http1.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(ketch_http1, name), name


def test_exception_tree() -> None:
    h = ketch_http1
    assert issubclass(h.LocalProtocolError, h.HTTP1Error) and issubclass(h.LocalProtocolError, ValueError)
    for exc in (h.LimitExceeded, h.IncompleteBody, h.DecompressionError, h.MissingDecoder):
        assert issubclass(exc, h.RemoteProtocolError) and issubclass(exc, h.HTTP1Error)
    assert issubclass(h.MissingDecoder, h.DecompressionError)
