"""ketch_tracing: aiohttp's client tracing API, and a per-request timing breakdown.

``TraceConfig`` and its 16 signals behave as aiohttp documents them; three ketch extension
signals (``on_tls_handshake_start``, ``on_tls_handshake_end``, ``on_response_body_end``)
mark the points :class:`TimingTrace` needs to split a request's time like curl does.
"""

from ._config import SIGNALS, SignalSpec, TraceConfig
from ._params import (
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
from ._signal import Callback, Signal
from ._timing import Clock, RequestTimings, TimingTrace
from ._trace import NO_TRACES, Trace, make_traces
from ._version import __version__

__all__ = [
    "NO_TRACES",
    "SIGNALS",
    "Callback",
    "Clock",
    "RequestTimings",
    "Signal",
    "SignalSpec",
    "TimingTrace",
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
    "TraceResponseBodyEndParams",
    "TraceResponseChunkReceivedParams",
    "TraceTlsHandshakeEndParams",
    "TraceTlsHandshakeStartParams",
    "__version__",
    "make_traces",
]
