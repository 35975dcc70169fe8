"""Trace: one derived send_* method per signal; make_traces; callbacks' arguments."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest
from multidict import CIMultiDict
from yarl import URL

from ketch_tracing import NO_TRACES, SIGNALS, SignalSpec, Trace, TraceConfig, make_traces

# The send_* names the connector and the client call (seams.md), with their signal.
SENDERS = {
    "send_request_start": "on_request_start",
    "send_request_chunk_sent": "on_request_chunk_sent",
    "send_response_chunk_received": "on_response_chunk_received",
    "send_request_end": "on_request_end",
    "send_request_exception": "on_request_exception",
    "send_request_redirect": "on_request_redirect",
    "send_request_headers": "on_request_headers_sent",
    "send_connection_queued_start": "on_connection_queued_start",
    "send_connection_queued_end": "on_connection_queued_end",
    "send_connection_create_start": "on_connection_create_start",
    "send_connection_create_end": "on_connection_create_end",
    "send_connection_reuseconn": "on_connection_reuseconn",
    "send_dns_resolvehost_start": "on_dns_resolvehost_start",
    "send_dns_resolvehost_end": "on_dns_resolvehost_end",
    "send_dns_cache_hit": "on_dns_cache_hit",
    "send_dns_cache_miss": "on_dns_cache_miss",
    "send_tls_handshake_start": "on_tls_handshake_start",
    "send_tls_handshake_end": "on_tls_handshake_end",
    "send_response_body_end": "on_response_body_end",
}
SAMPLE: dict[str, object] = {
    "method": "POST",
    "url": URL("https://example.com/p"),
    "headers": CIMultiDict({"A": "1"}),
    "chunk": b"data",
    "response": object(),
    "exception": OSError("x"),
    "host": "example.com",
}


def args_for(spec: SignalSpec[Any, Any]) -> list[object]:
    return [SAMPLE[f.name] for f in dataclasses.fields(cast(Any, spec.params))]


class Recorder:
    """A TraceConfig with one recording callback on every signal."""

    def __init__(self) -> None:
        self.config = TraceConfig()
        self.seen: list[tuple[str, object, object, object]] = []
        for spec in SIGNALS:
            getattr(self.config, spec.name).append(self._make(spec.name))
        self.config.freeze()

    def _make(self, name: str) -> Any:
        async def callback(session: Any, ctx: Any, params: Any) -> None:
            self.seen.append((name, session, ctx, params))

        return callback


def test_trace_has_exactly_the_seam_senders() -> None:
    assert sorted(n for n in vars(Trace) if n.startswith("send_")) == sorted(SENDERS)
    assert {spec.sender: spec.name for spec in SIGNALS} == SENDERS
    for name in SENDERS:
        assert getattr(Trace, name).__name__ == name


@pytest.mark.parametrize("spec", SIGNALS, ids=lambda s: s.name)
async def test_each_sender_sends_its_signal_with_its_params(spec: SignalSpec[Any, Any]) -> None:
    rec = Recorder()
    ctx = object()
    trace = Trace("session", rec.config, ctx)
    await getattr(trace, spec.sender)(*args_for(spec))
    assert len(rec.seen) == 1
    name, session, got_ctx, params = rec.seen[0]
    assert (name, session, got_ctx) == (spec.name, "session", ctx)
    assert type(params) is spec.params
    assert [getattr(params, f.name) for f in dataclasses.fields(cast(Any, params))] == args_for(spec)


async def test_senders_accept_keywords() -> None:
    rec = Recorder()
    trace = Trace(None, rec.config, None)
    await trace.send_dns_cache_hit(host="h")
    await trace.send_request_start(method="GET", url=URL("http://h/"), headers=CIMultiDict())
    assert [n for n, *_ in rec.seen] == ["on_dns_cache_hit", "on_request_start"]


async def test_a_signal_without_callbacks_builds_no_params() -> None:
    # Wrong arguments would fail in the params constructor; with no callbacks it is
    # never called, which is what keeps an unused signal free.
    trace = Trace(None, TraceConfig(), None)
    await trace.send_dns_cache_hit()  # type: ignore[call-arg]
    config = TraceConfig()
    config.on_dns_cache_hit.append(Recorder()._make("x"))
    with pytest.raises(TypeError):
        await Trace(None, config, None).send_dns_cache_hit()  # type: ignore[call-arg]


async def test_a_raising_callback_propagates_out_of_the_sender() -> None:
    async def boom(session: Any, ctx: Any, params: Any) -> None:
        raise ConnectionAbortedError(params.host)

    config = TraceConfig()
    config.on_dns_resolvehost_start.append(boom)
    with pytest.raises(ConnectionAbortedError, match="h.example"):
        await Trace(None, config, None).send_dns_resolvehost_start("h.example")


def test_trace_exposes_its_parts() -> None:
    config = TraceConfig()
    trace = Trace("s", config, "ctx")
    assert (trace.session, trace.trace_config, trace.trace_config_ctx) == ("s", config, "ctx")
    assert "ctx" in repr(trace)


def test_make_traces_without_configs_is_the_shared_empty_tuple() -> None:
    assert make_traces(object(), []) is NO_TRACES
    assert make_traces(object(), (), trace_request_ctx={"a": 1}) is NO_TRACES
    assert not NO_TRACES


def test_make_traces_one_per_config_with_fresh_contexts() -> None:
    seen: list[object] = []

    def factory(trace_request_ctx: object = None) -> list[object]:
        seen.append(trace_request_ctx)
        return [trace_request_ctx]

    first, second = TraceConfig(trace_config_ctx_factory=factory), TraceConfig()
    marker = {"foo": "bar"}
    session = object()
    traces = make_traces(session, [first, second], marker)
    assert [t.trace_config for t in traces] == [first, second]
    assert all(t.session is session for t in traces)
    assert traces[0].trace_config_ctx == [marker]
    assert traces[1].trace_config_ctx.trace_request_ctx is marker
    assert seen == [marker]
    again = make_traces(session, [first, second], marker)
    assert again[0].trace_config_ctx is not traces[0].trace_config_ctx


def test_make_traces_freezes_configs() -> None:
    config = TraceConfig()
    make_traces(None, [config])
    assert config.frozen and config.on_request_end.frozen
