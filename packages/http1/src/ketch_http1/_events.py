"""Events produced by :class:`ResponseParser`."""

from __future__ import annotations

from dataclasses import dataclass

from multidict import CIMultiDictProxy

__all__ = ["Event", "InformationalResponse", "Response", "Data", "EndOfMessage", "RawHeaders"]

RawHeaders = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class InformationalResponse:
    """An interim 1xx response (100 Continue, 103 Early Hints); the final one follows."""

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    version: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Response:
    """The head of the final response.

    Attributes:
        keep_alive: whether the response's own framing allows reusing the connection
            (``Connection: close``, HTTP/1.0 without keep-alive, read-until-close bodies
            make it False). :attr:`EndOfMessage.keep_alive` is the final word.
    """

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    version: tuple[int, int]
    keep_alive: bool
    chunked: bool
    content_length: int | None


@dataclass(frozen=True, slots=True)
class Data:
    """A piece of the response body, already decoded when decompression is on.

    Attributes:
        end_of_chunk: True when this piece ends an HTTP chunk of a chunked body (what
            aiohttp's ``StreamReader.readchunk()`` reports); always False otherwise.
    """

    data: bytes
    end_of_chunk: bool = False


@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The body is complete.

    Attributes:
        trailers: trailer fields of a chunked body (empty otherwise).
        keep_alive: True when the connection may carry another request.
    """

    trailers: CIMultiDictProxy[str]
    raw_trailers: RawHeaders
    keep_alive: bool


Event = InformationalResponse | Response | Data | EndOfMessage
