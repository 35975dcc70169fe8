"""ketch_tracing: aiohttp's client tracing API (TraceConfig and its signals)."""

from ._params import (
    TraceRequestStartParams,
    TraceRequestChunkSentParams,
    TraceResponseChunkReceivedParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestRedirectParams,
    TraceRequestHeadersSentParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionCreateEndParams,
    TraceConnectionReuseconnParams,
    TraceDnsResolveHostStartParams,
    TraceDnsResolveHostEndParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
)
from ._trace import SIGNALS, Signal, Trace, TraceConfig
from ._version import __version__

__all__ = [
    "SIGNALS",
    "Signal",
    "Trace",
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
    "TraceResponseChunkReceivedParams",
    "__version__",
]
