"""TraceConfig: aiohttp's constructor, context factory, read-only signals, freeze; the table."""

from __future__ import annotations

import types
from typing import Any

import pytest

from ketch_tracing import SIGNALS, Signal, SignalSpec, TraceConfig, TraceDnsCacheHitParams

# aiohttp's tracing reference: signal -> params class. Written out here, not derived.
AIOHTTP_SIGNALS = {
    "on_request_start": "TraceRequestStartParams",
    "on_request_chunk_sent": "TraceRequestChunkSentParams",
    "on_response_chunk_received": "TraceResponseChunkReceivedParams",
    "on_request_end": "TraceRequestEndParams",
    "on_request_exception": "TraceRequestExceptionParams",
    "on_request_redirect": "TraceRequestRedirectParams",
    "on_request_headers_sent": "TraceRequestHeadersSentParams",
    "on_connection_queued_start": "TraceConnectionQueuedStartParams",
    "on_connection_queued_end": "TraceConnectionQueuedEndParams",
    "on_connection_create_start": "TraceConnectionCreateStartParams",
    "on_connection_create_end": "TraceConnectionCreateEndParams",
    "on_connection_reuseconn": "TraceConnectionReuseconnParams",
    "on_dns_resolvehost_start": "TraceDnsResolveHostStartParams",
    "on_dns_resolvehost_end": "TraceDnsResolveHostEndParams",
    "on_dns_cache_hit": "TraceDnsCacheHitParams",
    "on_dns_cache_miss": "TraceDnsCacheMissParams",
}
KETCH_SIGNALS = {
    "on_tls_handshake_start": "TraceTlsHandshakeStartParams",
    "on_tls_handshake_end": "TraceTlsHandshakeEndParams",
    "on_response_body_end": "TraceResponseBodyEndParams",
}


async def noop(session: Any, ctx: Any, params: Any) -> None:
    pass


def test_table_is_aiohttps_16_then_ketchs_3_extensions() -> None:
    assert {s.name: s.params.__name__ for s in SIGNALS if not s.extension} == AIOHTTP_SIGNALS
    assert {s.name: s.params.__name__ for s in SIGNALS if s.extension} == KETCH_SIGNALS
    assert [s.name for s in SIGNALS] == [*AIOHTTP_SIGNALS, *KETCH_SIGNALS]
    assert [s.index for s in SIGNALS] == list(range(len(SIGNALS)))


@pytest.mark.parametrize("spec", SIGNALS, ids=lambda s: s.name)
def test_each_signal_is_a_distinct_empty_signal_per_config(spec: SignalSpec[Any, Any]) -> None:
    a, b = TraceConfig(), TraceConfig()
    sig_a, sig_b = getattr(a, spec.name), getattr(b, spec.name)
    assert isinstance(sig_a, Signal)
    assert len(sig_a) == 0
    assert not sig_a.frozen
    assert sig_a is not sig_b
    assert getattr(a, spec.name) is sig_a  # the same object on every access
    sig_a.append(noop)
    assert sig_b == []
    # Every other signal of the config is untouched.
    assert [s.name for s in SIGNALS if getattr(a, s.name)] == [spec.name]


def test_signals_are_read_only_attributes() -> None:
    config = TraceConfig()
    with pytest.raises(AttributeError, match="on_request_start"):
        config.on_request_start = Signal()  # type: ignore[assignment]


def test_class_access_gives_the_table_row() -> None:
    assert TraceConfig.on_dns_cache_hit is SIGNALS[14]
    assert TraceConfig.on_dns_cache_hit.params is TraceDnsCacheHitParams
    assert "on_dns_cache_hit" in repr(TraceConfig.on_dns_cache_hit)


def test_default_context_is_a_simple_namespace_with_trace_request_ctx() -> None:
    config = TraceConfig()
    ctx = config.trace_config_ctx()
    assert type(ctx) is types.SimpleNamespace
    assert ctx.trace_request_ctx is None
    marker = {"foo": "bar"}
    other = config.trace_config_ctx(trace_request_ctx=marker)
    assert other.trace_request_ctx is marker
    assert other is not ctx


def test_factory_receives_trace_request_ctx_as_a_keyword() -> None:
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []

    def factory(*args: object, **kwargs: object) -> str:
        calls.append((args, kwargs))
        return "ctx"

    config = TraceConfig(trace_config_ctx_factory=factory)
    assert config.trace_config_ctx(trace_request_ctx=7) == "ctx"
    assert config.trace_config_ctx() == "ctx"
    assert calls == [((), {"trace_request_ctx": 7}), ((), {"trace_request_ctx": None})]


def test_freeze_freezes_every_signal() -> None:
    config = TraceConfig()
    config.on_request_start.append(noop)
    before = config.frozen
    config.freeze()
    assert (before, config.frozen) == (False, True)
    for spec in SIGNALS:
        signal = getattr(config, spec.name)
        assert signal.frozen, spec.name
        with pytest.raises(RuntimeError):
            signal.append(noop)
    assert config.on_request_start == [noop]


def test_subclass_in_the_documented_style() -> None:
    # aiohttp's docs install subclasses such as AuditRequest() and XRay().
    class AuditRequest(TraceConfig):
        def __init__(self) -> None:
            super().__init__()
            self.on_request_start.append(noop)

    audit = AuditRequest()
    assert audit.on_request_start == [noop]
    assert TraceConfig().on_request_start == []


def test_a_subclass_cannot_add_rows_to_the_table() -> None:
    # Python 3.11 wraps errors from __set_name__ in a RuntimeError (the cause is ours).
    with pytest.raises((TypeError, RuntimeError)) as excinfo:

        class Extended(TraceConfig):
            on_custom = SignalSpec(TraceDnsCacheHitParams)

    error = excinfo.value
    cause = error if isinstance(error, TypeError) else error.__cause__
    assert isinstance(cause, TypeError)
    assert "Extended.on_custom: signals are declared in TraceConfig only" in str(cause)
