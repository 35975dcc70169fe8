"""TraceConfig and the signal table.

Theory of operation: the body of :class:`TraceConfig` *is* the table. Each line
``on_x = SignalSpec(TraceXParams)`` declares one signal: its name (the attribute name),
its params class (whose fields are the arguments of the matching ``Trace.send_*``
method), and whether it is a ketch extension. Everything else is derived from it:
``SIGNALS`` (the table in declaration order), the per-instance ``Signal`` lists, the
read-only ``on_*`` attributes, ``freeze()``, and the ``Trace.send_*`` methods (see
``_trace.py``), whose argument lists mypy reads off the params classes.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Generic, NoReturn, ParamSpec, TypeVar, overload

from . import _params as p
from ._public import public
from ._signal import Signal

__all__ = ["SIGNALS", "SignalSpec", "TraceConfig"]

PS = ParamSpec("PS")
P = TypeVar("P")


@public
class SignalSpec(Generic[PS, P]):
    """One row of the signal table: a read-only ``Signal`` attribute of ``TraceConfig``.

    Args:
        params: the params class sent with the signal; its constructor's parameters are
            the arguments of the matching ``Trace.send_*`` method.
        extension: True for ketch's own signals (not in aiohttp).

    Attributes:
        name: the attribute name (``on_request_start``), set when the class is created.
        index: the row's position in ``SIGNALS``.
        sender: the name of the ``Trace`` method that sends it (``send_request_start``).
    """

    __slots__ = ("params", "extension", "name", "index", "sender")

    def __init__(self, params: Callable[PS, P], *, extension: bool = False) -> None:
        self.params = params
        self.extension = extension
        self.name = ""
        self.index = -1
        self.sender = ""

    def __set_name__(self, owner: type, name: str) -> None:
        if any(_specs_of(base) for base in owner.__mro__[1:]):
            # Indexes are positions in TraceConfig's own table; a subclass adding rows
            # would collide with them.
            raise TypeError(f"{owner.__name__}.{name}: signals are declared in TraceConfig only")
        self.name = name
        self.index = _specs_of(owner).index(self)

    @overload
    def __get__(self, instance: None, owner: type) -> SignalSpec[PS, P]: ...

    @overload
    def __get__(self, instance: TraceConfig, owner: type) -> Signal[P]: ...

    def __get__(
        self, instance: TraceConfig | None, owner: type
    ) -> SignalSpec[PS, P] | Signal[P]:
        if instance is None:
            return self
        signal: Signal[P] = instance._signals[self.index]
        return signal

    def __set__(self, instance: TraceConfig, value: NoReturn) -> NoReturn:
        # aiohttp exposes its signals as read-only properties; so do we.
        raise AttributeError(f"can't set attribute {self.name!r}: append callbacks to it")

    def __repr__(self) -> str:
        kind = "ketch extension" if self.extension else "aiohttp"
        return f"<SignalSpec {self.name} ({kind}) params={self.params!r}>"


def _specs_of(cls: type) -> list[SignalSpec[Any, Any]]:
    return [v for v in vars(cls).values() if isinstance(v, SignalSpec)]


@public
class TraceConfig:
    """Callbacks for the lifecycle of client requests (aiohttp's ``TraceConfig``).

    Pass instances to ``ClientSession(trace_configs=[...])`` and append async callbacks
    ``async def cb(session, trace_config_ctx, params)`` to its ``on_*`` signals. Each
    request makes one context per trace config (see :meth:`trace_config_ctx`) and passes
    it to every callback of that config for that request.

    A callback that raises stops the signal and its exception propagates out of the
    request that sent it (``session.get()`` raises it), as in aiohttp; the connection
    involved is closed, not pooled.

    Args:
        trace_config_ctx_factory: called as ``factory(trace_request_ctx=...)`` once per
            request to make the context object; ``types.SimpleNamespace`` by default.
    """

    # The signal table: aiohttp's 16 signals in its documentation's order, then ketch's.
    on_request_start = SignalSpec(p.TraceRequestStartParams)
    on_request_chunk_sent = SignalSpec(p.TraceRequestChunkSentParams)
    on_response_chunk_received = SignalSpec(p.TraceResponseChunkReceivedParams)
    on_request_end = SignalSpec(p.TraceRequestEndParams)
    on_request_exception = SignalSpec(p.TraceRequestExceptionParams)
    on_request_redirect = SignalSpec(p.TraceRequestRedirectParams)
    on_request_headers_sent = SignalSpec(p.TraceRequestHeadersSentParams)
    on_connection_queued_start = SignalSpec(p.TraceConnectionQueuedStartParams)
    on_connection_queued_end = SignalSpec(p.TraceConnectionQueuedEndParams)
    on_connection_create_start = SignalSpec(p.TraceConnectionCreateStartParams)
    on_connection_create_end = SignalSpec(p.TraceConnectionCreateEndParams)
    on_connection_reuseconn = SignalSpec(p.TraceConnectionReuseconnParams)
    on_dns_resolvehost_start = SignalSpec(p.TraceDnsResolveHostStartParams)
    on_dns_resolvehost_end = SignalSpec(p.TraceDnsResolveHostEndParams)
    on_dns_cache_hit = SignalSpec(p.TraceDnsCacheHitParams)
    on_dns_cache_miss = SignalSpec(p.TraceDnsCacheMissParams)
    on_tls_handshake_start = SignalSpec(p.TraceTlsHandshakeStartParams, extension=True)
    on_tls_handshake_end = SignalSpec(p.TraceTlsHandshakeEndParams, extension=True)
    on_response_body_end = SignalSpec(p.TraceResponseBodyEndParams, extension=True)

    def __init__(
        self, trace_config_ctx_factory: Callable[..., Any] = types.SimpleNamespace
    ) -> None:
        # One Signal per table row, indexed by SignalSpec.index: Trace reads this tuple
        # directly, so sending costs a tuple index and a truth test.
        self._signals: tuple[Signal[Any], ...] = tuple(Signal() for _ in SIGNALS)
        self._trace_config_ctx_factory = trace_config_ctx_factory
        self._frozen = False

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> Any:
        """Make a new per-request context.

        Args:
            trace_request_ctx: the ``trace_request_ctx=`` given to the request method;
                passed to the factory as a keyword argument.

        Returns:
            ``trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)``.
        """
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal: appending a callback afterwards raises ``RuntimeError``.

        ``ClientSession`` calls this when it is created, as aiohttp does.
        """
        self._frozen = True
        for signal in self._signals:
            signal.freeze()

    @property
    def frozen(self) -> bool:
        """Whether :meth:`freeze` was called."""
        return self._frozen


SIGNALS: tuple[SignalSpec[Any, Any], ...] = tuple(_specs_of(TraceConfig))
"""The signal table, in declaration order: aiohttp's 16 signals, then ketch's extensions."""
