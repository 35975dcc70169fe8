"""Trace: one TraceConfig's view of one request, with a ``send_*`` method per signal.

The ``send_*`` methods are derived from the signal table (``TraceConfig``'s body): each
line below names the method the connector or client calls and the row it sends. A
sender whose signal has no callbacks returns without building its params object.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._config import SIGNALS, SignalSpec, TraceConfig
from ._public import public
from ._signal import Signal

__all__ = ["Trace", "make_traces"]

PS = ParamSpec("PS")
P = TypeVar("P")

Sender = Callable[Concatenate["Trace", PS], Coroutine[Any, Any, None]]


def _sender(spec: SignalSpec[PS, P]) -> Sender[PS]:
    index = spec.index
    params = spec.params

    async def send(trace: Trace, /, *args: PS.args, **kwargs: PS.kwargs) -> None:
        signal = trace._signals[index]
        if signal:
            await signal.send(trace._session, trace._trace_config_ctx, params(*args, **kwargs))

    send.__doc__ = (
        f"Send ``{spec.name}`` with ``{getattr(params, '__name__', params)}(*args, **kwargs)``."
        "\n\nRaises:\n    Exception: whatever a callback raises, unchanged."
    )
    _SPEC_OF_SENDER[send] = spec
    return send


_SPEC_OF_SENDER: dict[object, SignalSpec[Any, Any]] = {}


def _name_senders(cls: type) -> None:
    # Give each derived method its attribute name, record it in its table row, and check
    # at import that every row has exactly one sender.
    for name, value in vars(cls).items():
        spec = _SPEC_OF_SENDER.get(value)
        if spec is None:
            continue
        if spec.sender:
            raise TypeError(f"{spec.name} has two senders: {spec.sender} and {name}")
        value.__name__ = name
        value.__qualname__ = f"{cls.__name__}.{name}"
        spec.sender = name
    missing = [spec.name for spec in SIGNALS if not spec.sender]
    if missing:
        raise TypeError(f"signals without a Trace.send_* method: {missing}")


@public
class Trace:
    """One :class:`TraceConfig` sending its signals for one request.

    The client makes one per configured ``TraceConfig`` per request (see
    :func:`make_traces`) and hands the list to the connector; both call the ``send_*``
    methods at each point of the request's life. Callers guard with ``if traces:`` so a
    request without trace configs awaits nothing and builds nothing.

    Args:
        session: the ``ClientSession``, passed as the callbacks' first argument.
        trace_config: the config whose signals are sent.
        trace_config_ctx: the per-request context, the callbacks' second argument.

    Every ``send_*`` method propagates what a callback raises.
    """

    __slots__ = ("_session", "_trace_config", "_trace_config_ctx", "_signals")

    def __init__(self, session: Any, trace_config: TraceConfig, trace_config_ctx: Any) -> None:
        self._session = session
        self._trace_config = trace_config
        self._trace_config_ctx = trace_config_ctx
        self._signals: tuple[Signal[Any], ...] = trace_config._signals

    @property
    def session(self) -> Any:
        """The session passed to callbacks."""
        return self._session

    @property
    def trace_config(self) -> TraceConfig:
        """The config whose signals this trace sends."""
        return self._trace_config

    @property
    def trace_config_ctx(self) -> Any:
        """This request's context for :attr:`trace_config`."""
        return self._trace_config_ctx

    # aiohttp's 16 signals. The method names are aiohttp's own (Trace.send_request_headers
    # sends on_request_headers_sent), which the connector and the client call.
    send_request_start = _sender(TraceConfig.on_request_start)
    send_request_chunk_sent = _sender(TraceConfig.on_request_chunk_sent)
    send_response_chunk_received = _sender(TraceConfig.on_response_chunk_received)
    send_request_end = _sender(TraceConfig.on_request_end)
    send_request_exception = _sender(TraceConfig.on_request_exception)
    send_request_redirect = _sender(TraceConfig.on_request_redirect)
    send_request_headers = _sender(TraceConfig.on_request_headers_sent)
    send_connection_queued_start = _sender(TraceConfig.on_connection_queued_start)
    send_connection_queued_end = _sender(TraceConfig.on_connection_queued_end)
    send_connection_create_start = _sender(TraceConfig.on_connection_create_start)
    send_connection_create_end = _sender(TraceConfig.on_connection_create_end)
    send_connection_reuseconn = _sender(TraceConfig.on_connection_reuseconn)
    send_dns_resolvehost_start = _sender(TraceConfig.on_dns_resolvehost_start)
    send_dns_resolvehost_end = _sender(TraceConfig.on_dns_resolvehost_end)
    send_dns_cache_hit = _sender(TraceConfig.on_dns_cache_hit)
    send_dns_cache_miss = _sender(TraceConfig.on_dns_cache_miss)
    # ketch extensions: the connector sends the TLS pair around each handshake, the
    # client sends body-end when a response body has been read to its end.
    send_tls_handshake_start = _sender(TraceConfig.on_tls_handshake_start)
    send_tls_handshake_end = _sender(TraceConfig.on_tls_handshake_end)
    send_response_body_end = _sender(TraceConfig.on_response_body_end)

    def __repr__(self) -> str:
        return f"<Trace {self._trace_config!r} ctx={self._trace_config_ctx!r}>"


_name_senders(Trace)

NO_TRACES: tuple[Trace, ...] = ()
"""What :func:`make_traces` returns without trace configs: one shared empty tuple."""


@public
def make_traces(
    session: Any, trace_configs: Sequence[TraceConfig], trace_request_ctx: Any = None
) -> tuple[Trace, ...]:
    """Make the traces of one request: one per config, each with a fresh context.

    Args:
        session: the ``ClientSession`` making the request.
        trace_configs: the session's trace configs.
        trace_request_ctx: the request's ``trace_request_ctx=``, passed to every
            config's context factory.

    Returns:
        The shared empty tuple :data:`NO_TRACES` when there are no configs (nothing is
        allocated, so ``if traces:`` skips all tracing work), else one :class:`Trace` per
        config, in order. A config not yet frozen is frozen here, so signals in use never
        change mid-request.

    Raises:
        Exception: whatever a context factory raises.
    """
    if not trace_configs:
        return NO_TRACES
    traces = []
    for config in trace_configs:
        if not config._frozen:
            config.freeze()
        traces.append(Trace(session, config, config.trace_config_ctx(trace_request_ctx=trace_request_ctx)))
    return tuple(traces)
