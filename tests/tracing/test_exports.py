"""The public surface of ketch_tracing is pinned: names, and where they say they live."""

from __future__ import annotations

import inspect

import ketch_tracing

EXPECTED = {
    "NO_TRACES", "SIGNALS", "Callback", "Clock", "RequestTimings", "Signal", "SignalSpec",
    "TimingTrace", "Trace", "TraceConfig", "make_traces", "__version__",
    "TraceConnectionCreateEndParams", "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams", "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams", "TraceDnsCacheHitParams", "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams", "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams", "TraceRequestEndParams", "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams", "TraceRequestRedirectParams", "TraceRequestStartParams",
    "TraceResponseBodyEndParams", "TraceResponseChunkReceivedParams",
    "TraceTlsHandshakeEndParams", "TraceTlsHandshakeStartParams",
}  # fmt: skip


def test_all_is_the_pinned_surface() -> None:
    assert set(ketch_tracing.__all__) == EXPECTED
    assert len(ketch_tracing.__all__) == len(EXPECTED)
    for name in EXPECTED:
        assert hasattr(ketch_tracing, name), name


def test_public_classes_have_docstrings() -> None:
    for name in ketch_tracing.__all__:
        obj = getattr(ketch_tracing, name)
        if isinstance(obj, type):
            assert obj.__doc__ and obj.__doc__.strip(), name


def test_public_objects_name_their_public_home() -> None:
    for name in ketch_tracing.__all__:
        obj = getattr(ketch_tracing, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert obj.__module__ == "ketch_tracing", name
    assert repr(ketch_tracing.TraceConfig) == "<class 'ketch_tracing.TraceConfig'>"
