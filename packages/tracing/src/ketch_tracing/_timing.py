"""TimingTrace: a per-request timing breakdown built from the trace signals.

Theory of operation: a :class:`TimingTrace` is a ``TraceConfig`` whose own callbacks
stamp the time (from an injectable clock) at each signal of a request into a private
recorder that lives in the request's ``trace_config_ctx``. The phases of the *final*
hop (after any redirects) follow one another::

    request_start ─ redirect ─┬─ queue ─ create_start ─ dns ─ connect ─ tls ─ create_end
                              └─ (or reuseconn) ────────────────────────────────┘
      ─ send (headers + body written) ─ wait (server) ─ response head ─ download ─ body end

so ``redirect + queue + dns + connect + tls + send + wait + download`` is ``total`` less the
client's own small gaps between signals. ``ttfb`` and ``total`` count from the start of
the first hop, like curl's ``time_starttransfer`` and ``time_total``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from yarl import URL

from . import _params as p
from ._config import TraceConfig
from ._public import public
from ._signal import Signal

__all__ = ["Clock", "RequestTimings", "TimingTrace"]

Clock = Callable[[], float]


@public
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestTimings:
    """Where one request's time went, in seconds.

    Attributes:
        method: the final hop's method.
        url: the final hop's URL.
        redirects: how many redirects were followed.
        reused_connection: the final hop reused a pooled connection.
        redirect: time spent on hops before the final one (curl's ``time_redirect``).
        queue: waiting for a free connection slot (the connector's limits).
        dns: resolving host names (0 on a DNS cache hit, an IP address or a reused
            connection).
        connect: opening the connection, less the DNS and TLS time within it (0 when
            reused).
        tls: TLS handshakes (0 for plain HTTP or a reused connection).
        send: writing the request head and body.
        wait: from the request written to the response head (the server's time).
        ttfb: time to first byte: from the start of the request to the response head
            (curl's ``time_starttransfer``).
        download: from the response head to the end of the body; None until the body has
            been read to its end.
        total: from the start of the request to the end of the body (curl's
            ``time_total``); None until the body has been read to its end.
    """

    method: str
    url: URL
    redirects: int
    reused_connection: bool
    redirect: float
    queue: float
    dns: float
    connect: float
    tls: float
    send: float
    wait: float
    ttfb: float
    download: float | None
    total: float | None

    @property
    def is_complete(self) -> bool:
        """Whether the body has been read to its end (``download`` and ``total`` known)."""
        return self.total is not None


class _Recorder:
    """The marks of one request, stamped by TimingTrace's callbacks."""

    __slots__ = (
        "method", "url", "start", "hop_start", "redirects", "reused", "queue", "dns",
        "tls", "creating", "create_start", "create", "dns_in_create", "tls_in_create",
        "queue_mark", "dns_mark", "tls_mark", "ready", "sent", "head", "body_end",
    )  # fmt: skip

    def __init__(self) -> None:
        self.method = ""
        self.url = URL()
        self.start: float | None = None
        self.redirects = 0
        self.body_end: float | None = None
        self.new_hop(0.0)

    def new_hop(self, now: float) -> None:
        self.hop_start = now
        self.reused = False
        self.queue = self.dns = self.tls = self.create = 0.0
        self.dns_in_create = self.tls_in_create = 0.0
        self.creating = False
        self.create_start = self.queue_mark = self.dns_mark = self.tls_mark = now
        self.ready: float | None = None
        self.sent: float | None = None
        self.head: float | None = None

    def snapshot(self) -> RequestTimings:
        start = self.hop_start if self.start is None else self.start
        ready = self.hop_start if self.ready is None else self.ready
        head = self.head if self.head is not None else ready
        sent = self.sent if self.sent is not None else ready
        end = self.body_end
        return RequestTimings(
            method=self.method,
            url=self.url,
            redirects=self.redirects,
            reused_connection=self.reused,
            redirect=self.hop_start - start,
            queue=self.queue,
            dns=self.dns,
            connect=max(0.0, self.create - self.dns_in_create - self.tls_in_create),
            tls=self.tls,
            send=max(0.0, sent - ready),
            wait=max(0.0, head - max(sent, ready)),
            ttfb=head - start,
            download=None if end is None else max(0.0, end - head),
            total=None if end is None else max(end, head) - start,
        )


@public
class TimingTrace(TraceConfig):
    """A ready-made ``TraceConfig`` recording each request's timing breakdown.

    Add it to a session like any trace config; each request's :class:`RequestTimings`
    is then available from the response and from a callback::

        timing = ketch_tracing.TimingTrace()
        async with ketch.ClientSession(trace_configs=[timing]) as session:
            async with session.get(url) as resp:
                await resp.read()
            print(timing.timings(resp))

    Callbacks appended to :attr:`on_request_timings` get ``(session, trace_config_ctx,
    timings)`` once per request, when its body has been read to its end. The extension
    signals ``on_tls_handshake_*`` and ``on_response_body_end`` mark the TLS and download
    phases.

    Args:
        clock: returns the current time in seconds; ``time.perf_counter`` by default
            (inject a fake clock in tests).
    """

    def __init__(self, *, clock: Clock = time.perf_counter) -> None:
        super().__init__(self._make_ctx)
        self._clock = clock
        self._by_response: weakref.WeakKeyDictionary[Any, _Recorder] = (
            weakref.WeakKeyDictionary()
        )
        self.on_request_timings: Signal[RequestTimings] = Signal()
        """Callbacks ``async def cb(session, trace_config_ctx, timings)``, once per request."""
        self.on_request_start.append(self._request_start)
        self.on_request_redirect.append(self._request_redirect)
        self.on_connection_queued_start.append(self._queued_start)
        self.on_connection_queued_end.append(self._queued_end)
        self.on_connection_create_start.append(self._create_start)
        self.on_connection_create_end.append(self._create_end)
        self.on_connection_reuseconn.append(self._reuseconn)
        self.on_dns_resolvehost_start.append(self._dns_start)
        self.on_dns_resolvehost_end.append(self._dns_end)
        self.on_tls_handshake_start.append(self._tls_start)
        self.on_tls_handshake_end.append(self._tls_end)
        self.on_request_headers_sent.append(self._sent)
        self.on_request_chunk_sent.append(self._sent)
        self.on_request_end.append(self._request_end)
        self.on_response_body_end.append(self._body_end)

    def timings(self, response: Any) -> RequestTimings | None:
        """The timings of the request that returned *response*.

        Args:
            response: a ``ClientResponse`` from a session using this trace config.

        Returns:
            The breakdown so far (``download`` and ``total`` are None until the body has
            been read to its end), or None if this trace did not see that response.
        """
        recorder = self._by_response.get(response)
        return None if recorder is None else recorder.snapshot()

    def freeze(self) -> None:
        """Freeze every signal, :attr:`on_request_timings` included."""
        super().freeze()
        self.on_request_timings.freeze()

    @staticmethod
    def _make_ctx(trace_request_ctx: Any = None) -> SimpleNamespace:
        return SimpleNamespace(trace_request_ctx=trace_request_ctx, ketch_timing=_Recorder())

    async def _request_start(self, session: Any, ctx: Any, params: p.TraceRequestStartParams) -> None:
        rec: _Recorder = ctx.ketch_timing
        now = self._clock()
        rec.method, rec.url = params.method, params.url
        if rec.start is None:
            rec.start = now
            rec.new_hop(now)

    async def _request_redirect(
        self, session: Any, ctx: Any, params: p.TraceRequestRedirectParams
    ) -> None:
        rec: _Recorder = ctx.ketch_timing
        rec.redirects += 1
        rec.new_hop(self._clock())

    async def _queued_start(self, session: Any, ctx: Any, params: object) -> None:
        ctx.ketch_timing.queue_mark = self._clock()

    async def _queued_end(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        rec.queue += self._clock() - rec.queue_mark

    async def _create_start(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        rec.create_start = self._clock()
        rec.creating = True

    async def _create_end(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        now = self._clock()
        rec.create += now - rec.create_start
        rec.creating = False
        rec.ready = now

    async def _reuseconn(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        rec.reused = True
        rec.ready = self._clock()

    async def _dns_start(self, session: Any, ctx: Any, params: object) -> None:
        ctx.ketch_timing.dns_mark = self._clock()

    async def _dns_end(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        spent = self._clock() - rec.dns_mark
        rec.dns += spent
        if rec.creating:
            rec.dns_in_create += spent

    async def _tls_start(self, session: Any, ctx: Any, params: object) -> None:
        ctx.ketch_timing.tls_mark = self._clock()

    async def _tls_end(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        spent = self._clock() - rec.tls_mark
        rec.tls += spent
        if rec.creating:
            rec.tls_in_create += spent

    async def _sent(self, session: Any, ctx: Any, params: object) -> None:
        rec: _Recorder = ctx.ketch_timing
        if rec.head is None:
            rec.sent = self._clock()

    async def _request_end(self, session: Any, ctx: Any, params: p.TraceRequestEndParams) -> None:
        rec: _Recorder = ctx.ketch_timing
        rec.head = self._clock()
        rec.method, rec.url = params.method, params.url
        self._by_response[params.response] = rec

    async def _body_end(self, session: Any, ctx: Any, params: p.TraceResponseBodyEndParams) -> None:
        rec: _Recorder = ctx.ketch_timing
        # Before the final head (on_request_end) a body end is a redirect's discarded body.
        if rec.head is None or rec.body_end is not None:
            return
        rec.body_end = self._clock()
        if self.on_request_timings:
            await self.on_request_timings.send(session, ctx, rec.snapshot())
