"""The params objects passed to trace callbacks, with aiohttp's names and fields."""

from __future__ import annotations

from dataclasses import dataclass

from multidict import CIMultiDict
from yarl import URL

__all__ = [
    "TraceRequestStartParams",
    "TraceRequestChunkSentParams",
    "TraceResponseChunkReceivedParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestRedirectParams",
    "TraceRequestHeadersSentParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionCreateEndParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsResolveHostStartParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceTlsHandshakeStartParams",
    "TraceTlsHandshakeEndParams",
    "TraceResponseBodyEndParams",
]


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """Params of ``on_request_start``."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    """Params of ``on_request_chunk_sent``."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    """Params of ``on_response_chunk_received``."""

    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """Params of ``on_request_end``; *response* is the ``ClientResponse``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: object


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """Params of ``on_request_exception``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """Params of ``on_request_redirect``; *response* is the redirect ``ClientResponse``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: object


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    """Params of ``on_request_headers_sent``."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """Params of ``on_connection_queued_start`` (no fields)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """Params of ``on_connection_queued_end`` (no fields)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """Params of ``on_connection_create_start`` (no fields)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """Params of ``on_connection_create_end`` (no fields)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """Params of ``on_connection_reuseconn`` (no fields)."""


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """Params of ``on_dns_resolvehost_start``."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """Params of ``on_dns_resolvehost_end``."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """Params of ``on_dns_cache_hit``."""

    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """Params of ``on_dns_cache_miss``."""

    host: str


# ketch extensions (not in aiohttp): the points a timing breakdown needs.


@dataclass(frozen=True, slots=True)
class TraceTlsHandshakeStartParams:
    """Params of ``on_tls_handshake_start`` (ketch extension; no fields)."""


@dataclass(frozen=True, slots=True)
class TraceTlsHandshakeEndParams:
    """Params of ``on_tls_handshake_end`` (ketch extension; no fields)."""


@dataclass(frozen=True, slots=True)
class TraceResponseBodyEndParams:
    """Params of ``on_response_body_end`` (ketch extension): the body was read to its end."""

    method: str
    url: URL
