"""The params objects passed to trace callbacks, with aiohttp's names and fields.

Each is a frozen, slotted dataclass built positionally (as aiohttp builds its own), so a
callback can read the fields but cannot change what other callbacks see. ``headers`` is
the request's own ``CIMultiDict``: aiohttp documents that ``on_request_start`` callbacks
may add to it, and the same object is sent.

``response`` is typed ``Any`` on purpose: it is the client's ``ClientResponse``, a type this
package (which sits below the client) cannot import; ``Any`` keeps aiohttp-typed callbacks
such as ``params.response.status`` checking cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from ._public import public
__all__ = [
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseBodyEndParams",
    "TraceResponseChunkReceivedParams",
    "TraceTlsHandshakeEndParams",
    "TraceTlsHandshakeStartParams",
]


@public
@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """Params of ``on_request_start``: a request (or redirect hop) is about to start.

    Attributes:
        method: the request method.
        url: the request URL.
        headers: the request headers; callbacks may add to them before they are sent.
    """

    method: str
    url: URL
    headers: CIMultiDict[str]


@public
@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    """Params of ``on_request_chunk_sent``: a piece of the request body was written.

    Attributes:
        method: the request method.
        url: the request URL.
        chunk: the bytes written.
    """

    method: str
    url: URL
    chunk: bytes


@public
@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    """Params of ``on_response_chunk_received``: a piece of the response body arrived.

    Attributes:
        method: the request method.
        url: the request URL.
        chunk: the (decoded) body bytes received.
    """

    method: str
    url: URL
    chunk: bytes


@public
@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """Params of ``on_request_end``: the final response's head has arrived.

    Attributes:
        method: the request method.
        url: the request URL.
        headers: the request headers sent.
        response: the ``ClientResponse``.
    """

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@public
@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """Params of ``on_request_exception``: the request failed.

    Attributes:
        method: the request method.
        url: the request URL.
        headers: the request headers.
        exception: the exception the request raises.
    """

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@public
@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """Params of ``on_request_redirect``: a redirect response arrived and will be followed.

    Attributes:
        method: the method of the hop that was redirected.
        url: the URL of the hop that was redirected.
        headers: the headers sent on that hop.
        response: the redirect ``ClientResponse``.
    """

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@public
@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    """Params of ``on_request_headers_sent``: the request head was written.

    Attributes:
        method: the request method.
        url: the request URL.
        headers: the headers written.
    """

    method: str
    url: URL
    headers: CIMultiDict[str]


@public
@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """Params of ``on_connection_queued_start``: waiting for a free connection slot."""


@public
@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """Params of ``on_connection_queued_end``: a connection slot became free."""


@public
@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """Params of ``on_connection_create_start``: opening a new connection."""


@public
@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """Params of ``on_connection_create_end``: the new connection is ready."""


@public
@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """Params of ``on_connection_reuseconn``: a pooled connection is reused."""


@public
@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """Params of ``on_dns_resolvehost_start``: resolving a host name.

    Attributes:
        host: the host name being resolved.
    """

    host: str


@public
@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """Params of ``on_dns_resolvehost_end``: the host name was resolved.

    Attributes:
        host: the host name resolved.
    """

    host: str


@public
@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """Params of ``on_dns_cache_hit``: the host's addresses came from the DNS cache.

    Attributes:
        host: the host name found in the cache.
    """

    host: str


@public
@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """Params of ``on_dns_cache_miss``: the host is not in the DNS cache.

    Attributes:
        host: the host name not found in the cache.
    """

    host: str


# ketch extensions (not in aiohttp): the points a timing breakdown needs and aiohttp's
# signals do not mark.


@public
@dataclass(frozen=True, slots=True)
class TraceTlsHandshakeStartParams:
    """Params of ``on_tls_handshake_start`` (ketch extension): a TLS handshake begins."""


@public
@dataclass(frozen=True, slots=True)
class TraceTlsHandshakeEndParams:
    """Params of ``on_tls_handshake_end`` (ketch extension): the TLS handshake finished."""


@public
@dataclass(frozen=True, slots=True)
class TraceResponseBodyEndParams:
    """Params of ``on_response_body_end`` (ketch extension): the body was read to its end.

    Attributes:
        method: the request method.
        url: the request URL.
    """

    method: str
    url: URL
