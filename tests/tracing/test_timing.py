"""TimingTrace: the breakdown computed from the signals, with a fake clock (no sleeps)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from multidict import CIMultiDict
from yarl import URL

from ketch_tracing import RequestTimings, TimingTrace, Trace, make_traces

URL1 = URL("https://a.example/start")
URL2 = URL("https://b.example/final")
HEADERS: CIMultiDict[str] = CIMultiDict()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Response:
    """Stands in for ClientResponse: TimingTrace only keys on its identity."""


class Run:
    """One request's trace over a TimingTrace, with the clock set before each signal."""

    def __init__(self, timing: TimingTrace | None = None, ctx: object = None) -> None:
        self.clock = Clock()
        self.timing = timing or TimingTrace(clock=self.clock)
        if timing is not None:
            timing._clock = self.clock
        (self.trace,) = make_traces("session", [self.timing], ctx)

    async def at(self, now: float, sender: str, *args: object) -> None:
        self.clock.now = now
        await getattr(self.trace, sender)(*args)


async def fresh_https(run: Run, resp: Response) -> None:
    await run.at(0.0, "send_request_start", "GET", URL1, HEADERS)
    await run.at(1.0, "send_connection_create_start")
    await run.at(1.0, "send_dns_cache_miss", "a.example")
    await run.at(1.0, "send_dns_resolvehost_start", "a.example")
    await run.at(3.0, "send_dns_resolvehost_end", "a.example")
    await run.at(4.0, "send_tls_handshake_start")
    await run.at(7.0, "send_tls_handshake_end")
    await run.at(8.0, "send_connection_create_end")
    await run.at(8.5, "send_request_headers", "GET", URL1, HEADERS)
    await run.at(9.0, "send_request_chunk_sent", "GET", URL1, b"x")
    await run.at(12.0, "send_request_end", "GET", URL1, HEADERS, resp)


async def test_fresh_https_connection_breakdown() -> None:
    run, resp = Run(), Response()
    await fresh_https(run, resp)
    await run.at(20.0, "send_response_body_end", "GET", URL1)
    assert run.timing.timings(resp) == RequestTimings(
        method="GET", url=URL1, redirects=0, reused_connection=False, redirect=0.0,
        queue=0.0, dns=2.0, connect=2.0, tls=3.0, send=1.0, wait=3.0, ttfb=12.0,
        download=8.0, total=20.0,
    )


async def test_timings_from_the_response_before_the_body_ends() -> None:
    run, resp = Run(), Response()
    await fresh_https(run, resp)
    partial = run.timing.timings(resp)
    assert partial is not None and not partial.is_complete
    assert (partial.ttfb, partial.download, partial.total) == (12.0, None, None)
    await run.at(15.0, "send_response_body_end", "GET", URL1)
    done = run.timing.timings(resp)
    assert done is not None and done.is_complete and done.total == 15.0


async def test_unknown_response_has_no_timings() -> None:
    assert TimingTrace().timings(Response()) is None


async def test_reused_connection_after_queueing() -> None:
    run, resp = Run(), Response()
    await run.at(10.0, "send_request_start", "PUT", URL1, HEADERS)
    await run.at(10.0, "send_connection_queued_start")
    await run.at(14.0, "send_connection_queued_end")
    await run.at(14.5, "send_connection_reuseconn")
    await run.at(15.0, "send_request_headers", "PUT", URL1, HEADERS)
    await run.at(17.0, "send_request_end", "PUT", URL1, HEADERS, resp)
    await run.at(17.0, "send_response_body_end", "PUT", URL1)
    t = run.timing.timings(resp)
    assert t is not None
    assert t.reused_connection and (t.dns, t.connect, t.tls) == (0.0, 0.0, 0.0)
    assert (t.queue, t.send, t.wait, t.ttfb, t.download, t.total) == (
        4.0, 0.5, 2.0, 7.0, 0.0, 7.0)


async def test_dns_cache_hit_costs_no_dns_time() -> None:
    run, resp = Run(), Response()
    await run.at(0.0, "send_request_start", "GET", URL1, HEADERS)
    await run.at(0.0, "send_connection_create_start")
    await run.at(0.0, "send_dns_cache_hit", "a.example")
    await run.at(2.0, "send_connection_create_end")
    await run.at(2.0, "send_request_headers", "GET", URL1, HEADERS)
    await run.at(5.0, "send_request_end", "GET", URL1, HEADERS, resp)
    t = run.timing.timings(resp)
    assert t is not None and (t.dns, t.connect, t.tls, t.wait) == (0.0, 2.0, 0.0, 3.0)


async def test_redirect_then_final_hop() -> None:
    first, final = Response(), Response()
    run2 = Run()
    await run2.at(0.0, "send_request_start", "GET", URL1, HEADERS)
    await run2.at(0.0, "send_connection_create_start")
    await run2.at(1.0, "send_connection_create_end")
    await run2.at(1.0, "send_request_headers", "GET", URL1, HEADERS)
    await run2.at(3.0, "send_request_redirect", "GET", URL1, HEADERS, first)
    # The redirect's own body being discarded is not the final body.
    await run2.at(3.5, "send_response_body_end", "GET", URL1)
    await run2.at(4.0, "send_connection_create_start")
    await run2.at(4.0, "send_dns_resolvehost_start", "b.example")
    await run2.at(5.0, "send_dns_resolvehost_end", "b.example")
    await run2.at(6.0, "send_connection_create_end")
    await run2.at(6.0, "send_request_headers", "GET", URL2, HEADERS)
    await run2.at(9.0, "send_request_end", "GET", URL2, HEADERS, final)
    await run2.at(10.0, "send_response_body_end", "GET", URL2)
    assert run2.timing.timings(first) is None
    assert run2.timing.timings(final) == RequestTimings(
        method="GET", url=URL2, redirects=1, reused_connection=False, redirect=3.0,
        queue=0.0, dns=1.0, connect=1.0, tls=0.0, send=0.0, wait=3.0, ttfb=9.0,
        download=1.0, total=10.0,
    )


async def test_callback_gets_the_complete_timings_once() -> None:
    timing = TimingTrace()
    got: list[tuple[object, object, RequestTimings]] = []

    async def on_timings(session: Any, ctx: Any, timings: RequestTimings) -> None:
        got.append((session, ctx.trace_request_ctx, timings))

    timing.on_request_timings.append(on_timings)
    run, resp = Run(timing, ctx={"id": 1}), Response()
    await fresh_https(run, resp)
    assert got == []
    await run.at(20.0, "send_response_body_end", "GET", URL1)
    await run.at(21.0, "send_response_body_end", "GET", URL1)
    assert len(got) == 1
    session, request_ctx, timings = got[0]
    assert (session, request_ctx) == ("session", {"id": 1})
    assert timings == timing.timings(resp) and timings.total == 20.0


async def test_callback_errors_propagate() -> None:
    timing = TimingTrace()

    async def boom(session: Any, ctx: Any, timings: RequestTimings) -> None:
        raise ValueError("from timings callback")

    timing.on_request_timings.append(boom)
    run, resp = Run(timing), Response()
    await fresh_https(run, resp)
    with pytest.raises(ValueError, match="from timings callback"):
        await run.at(20.0, "send_response_body_end", "GET", URL1)


def test_freeze_includes_on_request_timings() -> None:
    timing = TimingTrace()
    timing.freeze()
    assert timing.on_request_timings.frozen and timing.on_request_start.frozen
    with pytest.raises(RuntimeError):
        timing.on_request_timings.append(lambda *a: None)  # type: ignore[arg-type]


def test_context_carries_trace_request_ctx() -> None:
    ctx = TimingTrace().trace_config_ctx(trace_request_ctx="mine")
    assert ctx.trace_request_ctx == "mine"


async def test_requests_are_independent_and_responses_weakly_held() -> None:
    timing = TimingTrace()
    a, b = Run(timing), Run(timing)
    resp_a, resp_b = Response(), Response()
    await fresh_https(a, resp_a)
    await b.at(0.0, "send_request_start", "GET", URL2, HEADERS)
    await b.at(0.0, "send_connection_reuseconn")
    await b.at(1.0, "send_request_end", "GET", URL2, HEADERS, resp_b)
    ta, tb = timing.timings(resp_a), timing.timings(resp_b)
    assert ta is not None and tb is not None
    assert (ta.url, ta.reused_connection, tb.url, tb.reused_connection) == (
        URL1, False, URL2, True)
    del resp_a
    gc.collect()
    assert len(timing._by_response) == 1


def test_default_clock_is_perf_counter() -> None:
    import time

    assert TimingTrace()._clock is time.perf_counter


def test_trace_type() -> None:
    (trace,) = make_traces(None, [TimingTrace()])
    assert isinstance(trace, Trace)
