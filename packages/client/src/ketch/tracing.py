"""Compatibility module: what aiohttp's documentation imports from ``aiohttp.tracing``.

Re-exports only; the implementation is the ``ketch-tracing`` distribution.
"""

from ketch_tracing import (
    RequestTimings,
    TimingTrace,
    TraceConfig,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseBodyEndParams,
    TraceResponseChunkReceivedParams,
    TraceTlsHandshakeEndParams,
    TraceTlsHandshakeStartParams,
)

__all__ = [
    "RequestTimings",
    "TimingTrace",
    "TraceConfig",
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
