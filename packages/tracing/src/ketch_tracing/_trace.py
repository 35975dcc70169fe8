"""TraceConfig, its signals, and the per-request Trace that sends them.

The signal table below is the one place a signal is declared: ``TraceConfig`` builds
its ``on_*`` attributes from it and ``Trace`` sends through it by name.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from . import _params as p

__all__ = ["Signal", "TraceConfig", "Trace", "SIGNALS"]

P = TypeVar("P")
Callback = Callable[[Any, Any, P], Awaitable[None]]

# signal name -> params class. The order is aiohttp's documentation order.
SIGNALS: dict[str, type] = {
    "on_request_start": p.TraceRequestStartParams,
    "on_request_chunk_sent": p.TraceRequestChunkSentParams,
    "on_response_chunk_received": p.TraceResponseChunkReceivedParams,
    "on_request_end": p.TraceRequestEndParams,
    "on_request_exception": p.TraceRequestExceptionParams,
    "on_request_redirect": p.TraceRequestRedirectParams,
    "on_request_headers_sent": p.TraceRequestHeadersSentParams,
    "on_connection_queued_start": p.TraceConnectionQueuedStartParams,
    "on_connection_queued_end": p.TraceConnectionQueuedEndParams,
    "on_connection_create_start": p.TraceConnectionCreateStartParams,
    "on_connection_create_end": p.TraceConnectionCreateEndParams,
    "on_connection_reuseconn": p.TraceConnectionReuseconnParams,
    "on_dns_resolvehost_start": p.TraceDnsResolveHostStartParams,
    "on_dns_resolvehost_end": p.TraceDnsResolveHostEndParams,
    "on_dns_cache_hit": p.TraceDnsCacheHitParams,
    "on_dns_cache_miss": p.TraceDnsCacheMissParams,
    # ketch extensions
    "on_tls_handshake_start": p.TraceTlsHandshakeStartParams,
    "on_tls_handshake_end": p.TraceTlsHandshakeEndParams,
    "on_response_body_end": p.TraceResponseBodyEndParams,
}


class Signal(list[Callback[P]], Generic[P]):
    """A list of async callbacks ``async def cb(session, trace_config_ctx, params)``.

    Appending (or any change) after :meth:`freeze` raises ``RuntimeError``.
    """

    __slots__ = ("_frozen",)

    def __init__(self, items: Iterable[Callback[P]] = ()) -> None:
        super().__init__(items)
        self._frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen signal")

    def append(self, cb: Callback[P]) -> None:
        self._check()
        super().append(cb)

    def extend(self, cbs: Iterable[Callback[P]]) -> None:
        self._check()
        super().extend(cbs)

    def insert(self, index: Any, cb: Callback[P]) -> None:
        self._check()
        super().insert(index, cb)

    def remove(self, cb: Callback[P]) -> None:
        self._check()
        super().remove(cb)

    def clear(self) -> None:
        self._check()
        super().clear()

    async def send(self, session: object, ctx: object, params: P) -> None:
        """Await every callback in order. An exception from a callback propagates."""
        for cb in self:
            await cb(session, ctx, params)


class TraceConfig:
    """Callbacks for the lifecycle of a client request (aiohttp's ``TraceConfig``).

    Args:
        trace_config_ctx_factory: called as ``factory(trace_request_ctx=...)`` once per
            request to make the context passed to every callback of that request.

    An exception raised by a callback propagates out of the request that triggered it,
    as in aiohttp.
    """

    on_request_start: Signal[p.TraceRequestStartParams]
    on_request_chunk_sent: Signal[p.TraceRequestChunkSentParams]
    on_response_chunk_received: Signal[p.TraceResponseChunkReceivedParams]
    on_request_end: Signal[p.TraceRequestEndParams]
    on_request_exception: Signal[p.TraceRequestExceptionParams]
    on_request_redirect: Signal[p.TraceRequestRedirectParams]
    on_request_headers_sent: Signal[p.TraceRequestHeadersSentParams]
    on_connection_queued_start: Signal[p.TraceConnectionQueuedStartParams]
    on_connection_queued_end: Signal[p.TraceConnectionQueuedEndParams]
    on_connection_create_start: Signal[p.TraceConnectionCreateStartParams]
    on_connection_create_end: Signal[p.TraceConnectionCreateEndParams]
    on_connection_reuseconn: Signal[p.TraceConnectionReuseconnParams]
    on_dns_resolvehost_start: Signal[p.TraceDnsResolveHostStartParams]
    on_dns_resolvehost_end: Signal[p.TraceDnsResolveHostEndParams]
    on_dns_cache_hit: Signal[p.TraceDnsCacheHitParams]
    on_dns_cache_miss: Signal[p.TraceDnsCacheMissParams]
    on_tls_handshake_start: Signal[p.TraceTlsHandshakeStartParams]
    on_tls_handshake_end: Signal[p.TraceTlsHandshakeEndParams]
    on_response_body_end: Signal[p.TraceResponseBodyEndParams]

    def __init__(
        self, trace_config_ctx_factory: Callable[..., Any] = types.SimpleNamespace
    ) -> None:
        for name in SIGNALS:
            setattr(self, name, Signal())
        self._factory = trace_config_ctx_factory
        self._frozen = False

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> Any:
        """Make the per-request context: ``factory(trace_request_ctx=trace_request_ctx)``."""
        return self._factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal; later appends raise ``RuntimeError``."""
        self._frozen = True
        for name in SIGNALS:
            getattr(self, name).freeze()

    @property
    def frozen(self) -> bool:
        return self._frozen


class Trace:
    """One TraceConfig's view of one request: sends its signals with the request's context.

    The client makes one per configured ``TraceConfig`` per request and passes the list to
    the connector. Callers guard with ``if traces:`` so an untraced request does no work.
    """

    __slots__ = ("_session", "_config", "_ctx")

    def __init__(self, session: object, trace_config: TraceConfig, trace_config_ctx: Any) -> None:
        self._session = session
        self._config = trace_config
        self._ctx = trace_config_ctx

    @property
    def trace_config_ctx(self) -> Any:
        return self._ctx

    async def _send(self, signal: str, params: object) -> None:
        sig: Signal[Any] = getattr(self._config, signal)
        if sig:
            await sig.send(self._session, self._ctx, params)

    async def send_request_start(self, method: str, url: Any, headers: Any) -> None:
        await self._send("on_request_start", p.TraceRequestStartParams(method, url, headers))

    async def send_request_chunk_sent(self, method: str, url: Any, chunk: bytes) -> None:
        await self._send("on_request_chunk_sent", p.TraceRequestChunkSentParams(method, url, chunk))

    async def send_response_chunk_received(self, method: str, url: Any, chunk: bytes) -> None:
        await self._send(
            "on_response_chunk_received", p.TraceResponseChunkReceivedParams(method, url, chunk)
        )

    async def send_request_end(self, method: str, url: Any, headers: Any, response: object) -> None:
        await self._send("on_request_end", p.TraceRequestEndParams(method, url, headers, response))

    async def send_request_exception(
        self, method: str, url: Any, headers: Any, exception: BaseException
    ) -> None:
        await self._send(
            "on_request_exception", p.TraceRequestExceptionParams(method, url, headers, exception)
        )

    async def send_request_redirect(
        self, method: str, url: Any, headers: Any, response: object
    ) -> None:
        await self._send(
            "on_request_redirect", p.TraceRequestRedirectParams(method, url, headers, response)
        )

    async def send_request_headers(self, method: str, url: Any, headers: Any) -> None:
        await self._send(
            "on_request_headers_sent", p.TraceRequestHeadersSentParams(method, url, headers)
        )

    async def send_connection_queued_start(self) -> None:
        await self._send("on_connection_queued_start", p.TraceConnectionQueuedStartParams())

    async def send_connection_queued_end(self) -> None:
        await self._send("on_connection_queued_end", p.TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        await self._send("on_connection_create_start", p.TraceConnectionCreateStartParams())

    async def send_connection_create_end(self) -> None:
        await self._send("on_connection_create_end", p.TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        await self._send("on_connection_reuseconn", p.TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        await self._send("on_dns_resolvehost_start", p.TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        await self._send("on_dns_resolvehost_end", p.TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        await self._send("on_dns_cache_hit", p.TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        await self._send("on_dns_cache_miss", p.TraceDnsCacheMissParams(host))

    async def send_tls_handshake_start(self) -> None:
        await self._send("on_tls_handshake_start", p.TraceTlsHandshakeStartParams())

    async def send_tls_handshake_end(self) -> None:
        await self._send("on_tls_handshake_end", p.TraceTlsHandshakeEndParams())

    async def send_response_body_end(self, method: str, url: Any) -> None:
        await self._send("on_response_body_end", p.TraceResponseBodyEndParams(method, url))
