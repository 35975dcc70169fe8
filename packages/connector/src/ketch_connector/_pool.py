"""The keep-alive pool: exact limits, first-in-first-out waiters, idle expiry, clean close.

Theory of operation. A *slot* is one open connection, whatever its state: being connected,
in use, or idle in the pool. ``_open`` counts all slots and ``_open_per_key`` those per
:class:`ConnectionKey`, so ``limit`` and ``limit_per_host`` bound the sockets really open.

Acquiring: an idle connection for the key is reused when one is alive. Otherwise the caller
needs a new slot. It takes one at once if the limits allow and nobody is queued that could
use it; when only the total limit is full but some *other* key has an idle connection, the
least recently used idle connection is closed to make room. Otherwise the caller queues.

Every state change that can free capacity (a release, a close, a failed connect, an idle
connection lost) calls :meth:`BaseConnector._wake_waiters`, which serves queued callers in
arrival order: a waiter whose key has an idle connection gets it handed over; a waiter whose
key has room gets a slot *reserved on its behalf* before it is woken. Because slots change
hands synchronously, no interleaving of tasks can overshoot a limit. A waiter that is
cancelled (or times out) after being served gives what it was handed straight back.

Idle connections expire ``keepalive_timeout`` seconds after their release (checked at
reuse against the injectable clock, and by one timer per connector that closes them).

Staleness: while a connection is idle its protocol closes it as soon as the event loop
reports the peer's end of stream or stray bytes. A FIN that reached the socket but not yet
the loop is looked for with a ``recv(MSG_PEEK)`` only when the connection sat idle for
:data:`PEEK_AFTER_IDLE` seconds or more: servers close idle connections after their own
keep-alive timeout, not just after answering, and a syscall on every reuse of a busy
connection costs more than the rest of the acquire. The rare server that closes a
just-used connection unannounced is covered by the client's one retry of an idempotent
request (as aiohttp does).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import operator
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypedDict

from ketch_tracing import Trace

from ._connection import Connection, ConnectionProtocol
from ._exceptions import ClientConnectionError, ConnectionTimeoutError, PoolTimeoutError
from ._key import ConnectionKey

__all__ = ["BaseConnector", "PoolOptions", "peer_timeout"]

Clock = Callable[[], float]
# What a served waiter receives: an idle connection handed over, or None for a reserved slot.
_Handoff = ConnectionProtocol | None
# See the module documentation (staleness).
PEEK_AFTER_IDLE = 1.0


@contextlib.asynccontextmanager
async def peer_timeout(seconds: float | None, key: ConnectionKey) -> AsyncIterator[None]:
    """Bound the enclosed connecting steps by ``sock_connect`` *seconds* (None: no bound).

    Raises:
        ConnectionTimeoutError: the time ran out.
    """
    if seconds is None:
        yield
        return
    try:
        async with asyncio.timeout(seconds) as cm:
            yield
    except TimeoutError as exc:
        if not cm.expired():
            raise
        raise ConnectionTimeoutError(
            f"timed out after {seconds} s (sock_connect) connecting to {key.host}:{key.port}"
        ) from exc


class _Sentinel:
    def __repr__(self) -> str:
        return "<default>"


_DEFAULT = _Sentinel()


class PoolOptions(TypedDict, total=False):
    """BaseConnector's keywords, which every connector accepts (``**pool: Unpack[...]``):
    one list, so the connectors' signatures cannot drift apart. See BaseConnector."""

    keepalive_timeout: float | None
    force_close: bool
    limit: int
    limit_per_host: int
    enable_cleanup_closed: bool
    loop: asyncio.AbstractEventLoop | None
    timeout_ceil_threshold: float
    clock: Clock


class BaseConnector:
    """A pool of keep-alive connections with a total and a per-host limit.

    Args:
        keepalive_timeout: seconds an idle pooled connection is kept (None: until the
            server closes it); 15 by default, and not allowed with *force_close*.
        force_close: close every connection after its exchange (no keep-alive).
        limit: most connections open at once (in use, being made, or idle); 0: no limit.
        limit_per_host: most connections open to one key; 0: no limit.
        enable_cleanup_closed: accepted for compatibility: closing is always awaited.
        loop: accepted for compatibility; the running loop is used.
        timeout_ceil_threshold: accepted for compatibility (timeouts are not rounded).
        clock: monotonic clock for keep-alive expiry (tests inject one).

    Raises:
        ValueError: a negative limit, or *keepalive_timeout* together with *force_close*.
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        *,
        keepalive_timeout: float | None | _Sentinel = _DEFAULT,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
        clock: Clock = time.monotonic,
    ) -> None:
        if force_close:
            if keepalive_timeout is not _DEFAULT and keepalive_timeout is not None:
                raise ValueError(
                    f"keepalive_timeout cannot be set if force_close is True "
                    f"(got keepalive_timeout={keepalive_timeout!r})"
                )
            keepalive: float | None = None
        elif isinstance(keepalive_timeout, _Sentinel):
            keepalive = 15.0
        else:
            keepalive = keepalive_timeout
        if keepalive is not None and keepalive < 0:
            raise ValueError(f"keepalive_timeout must be >= 0 or None, got {keepalive!r}")
        for name, value in (("limit", limit), ("limit_per_host", limit_per_host)):
            if operator.index(value) < 0:
                raise ValueError(f"{name} must be >= 0 (0: no limit), got {value!r}")
        self._loop = asyncio.get_running_loop()
        self._keepalive_timeout = keepalive
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._clock = clock
        self._open = 0
        self._open_per_key: dict[ConnectionKey, int] = {}
        # Idle connections: per key a stack (the most recent is the likeliest alive), and
        # one insertion-ordered dict over all keys for least-recently-used eviction.
        self._idle: dict[ConnectionKey, list[ConnectionProtocol]] = {}
        self._idle_lru: dict[ConnectionProtocol, ConnectionKey] = {}
        self._waiters: dict[ConnectionKey, deque[tuple[int, asyncio.Future[_Handoff]]]] = {}
        self._seq = itertools.count()
        self._all: set[ConnectionProtocol] = set()
        self._expiry_handle: asyncio.TimerHandle | None = None
        self._closed = False

    # -- properties -------------------------------------------------------------------
    @property
    def limit(self) -> int:
        """Most connections open at once (0: no limit)."""
        return self._limit

    @property
    def limit_per_host(self) -> int:
        """Most connections open to one key (0: no limit)."""
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        """True when connections are closed after each exchange."""
        return self._force_close

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    # -- acquiring --------------------------------------------------------------------
    async def connect(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace] = (),
        *,
        timeout: float | None = None,
        sock_connect: float | None = None,
    ) -> Connection:
        """Return a ready connection for *key*: a pooled one if alive, else a new one.

        Args:
            key: where to, and with what settings.
            traces: the request's traces; connection and DNS signals are sent to them.
            timeout: seconds for the whole acquire: waiting for a slot and connecting.
            sock_connect: seconds for connecting to the peer (TCP, TLS, tunnel).

        Returns:
            A connection the caller owns until it calls ``release()`` or ``close()``.

        Raises:
            PoolTimeoutError: *timeout* expired while waiting for a free slot.
            ConnectionTimeoutError: *timeout* or *sock_connect* expired while connecting.
            ClientConnectorError: and subclasses, when connecting failed.
            ClientConnectionError: the connector is closed.
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        proto = self._take_idle(key)
        if proto is not None:
            if traces:
                await self._send_reuseconn(key, proto, traces)
            return Connection(self, key, proto)
        return await self._connect_new(key, traces, timeout, sock_connect)

    def connect_pooled(self, key: ConnectionKey) -> Connection | None:
        """A pooled connection for *key* at once if one is idle and alive, else None.

        For callers without traces on the hot path: no coroutine, no waiting, no signal
        (``connect`` sends ``on_connection_reuseconn``). On None, call :meth:`connect`.

        Raises:
            ClientConnectionError: the connector is closed.
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        proto = self._take_idle(key)
        return None if proto is None else Connection(self, key, proto)

    async def _connect_new(
        self, key: ConnectionKey, traces: Sequence[Trace], timeout: float | None,
        sock_connect: float | None,
    ) -> Connection:
        """Wait for a slot (a connection another request hands back, or room for a new
        one) and connect, within *timeout* in all."""
        if timeout is None:
            return await self._acquire_new(key, traces, sock_connect)
        queued = True
        try:
            async with asyncio.timeout(timeout) as cm:
                handoff = await self._wait_for_slot(key, traces)
                queued = False
                return await self._finish_acquire(key, traces, sock_connect, handoff)
        except TimeoutError as exc:
            if not cm.expired():
                raise
            if queued:
                raise self._pool_timeout_error(key, timeout) from exc
            raise ConnectionTimeoutError(
                f"timed out after {timeout} s connecting to {key.host}:{key.port}"
            ) from exc

    async def _acquire_new(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> Connection:
        handoff = await self._wait_for_slot(key, traces)
        return await self._finish_acquire(key, traces, sock_connect, handoff)

    async def _finish_acquire(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        sock_connect: float | None,
        handoff: _Handoff,
    ) -> Connection:
        if handoff is not None:
            expires = handoff.idle_expires
            handoff.idle_expires = None
            if expires is not None and expires > self._clock() and handoff.is_alive():
                if traces:
                    await self._send_reuseconn(key, handoff, traces)
                return Connection(self, key, handoff)
            # Dead or expired on arrival: its slot becomes ours for a new connection.
            handoff.close_transport()
        proto: ConnectionProtocol | None = None
        try:
            if traces:
                for trace in traces:
                    await trace.send_connection_create_start()
            proto = await self._create_connection(key, traces, sock_connect)
            if self._closed:
                proto.close_transport()
                raise ClientConnectionError("Connector is closed.")
            if not proto.is_connected:
                raise ClientConnectionError(f"connection to {key.host}:{key.port} lost at once")
            proto.pool = self
            self._all.add(proto)
            if traces:
                for trace in traces:
                    await trace.send_connection_create_end()
        except BaseException:
            if proto is not None:
                proto.close_transport()
            self._free_slot(key)
            raise
        return Connection(self, key, proto)

    async def _send_reuseconn(
        self, key: ConnectionKey, proto: ConnectionProtocol, traces: Sequence[Trace]
    ) -> None:
        try:
            for trace in traces:
                await trace.send_connection_reuseconn()
        except BaseException:
            # Cancelled (or a failing trace callback) before the caller got it: put it back.
            self._give_back(key, proto)
            raise

    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> ConnectionProtocol:
        """Open a new connection for *key* (each transport overrides this).

        *sock_connect* bounds the steps that talk to the peer (see :func:`peer_timeout`);
        name resolution is outside it.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot open connections")

    def _pool_timeout_error(self, key: ConnectionKey, timeout: float) -> PoolTimeoutError:
        per_host = self._limit_per_host
        if per_host and self._open_per_key.get(key, 0) >= per_host:
            return PoolTimeoutError("limit_per_host", per_host, timeout)
        return PoolTimeoutError("limit", self._limit, timeout)

    # -- slots ------------------------------------------------------------------------
    def _take_idle(self, key: ConnectionKey) -> ConnectionProtocol | None:
        stack = self._idle.get(key)
        now: float | None = None
        timeout = self._keepalive_timeout
        while stack:
            proto = stack.pop()
            if not stack:
                del self._idle[key]
            del self._idle_lru[proto]
            expires = proto.idle_expires
            proto.idle_expires = None
            if now is None:
                now = self._clock()
            assert expires is not None
            # Peek only at a connection idle for PEEK_AFTER_IDLE or more (see there).
            if expires > now and proto.is_alive(
                    timeout is None or now - (expires - timeout) >= PEEK_AFTER_IDLE):
                return proto
            self._discard(key, proto)
            stack = self._idle.get(key)
        return None

    def _room_for(self, key: ConnectionKey) -> bool:
        per_host = self._limit_per_host
        if per_host and self._open_per_key.get(key, 0) >= per_host:
            return False
        limit = self._limit
        return not limit or self._open < limit or bool(self._idle_lru)

    def _reserve(self, key: ConnectionKey) -> None:
        limit = self._limit
        if limit and self._open >= limit:
            # Make room by closing the least recently used idle connection (another key's:
            # an idle one of this key would have been reused instead).
            old, old_key = next(iter(self._idle_lru.items()))
            self._unpark(old_key, old)
            self._discard(old_key, old, wake=False)
        self._open += 1
        self._open_per_key[key] = self._open_per_key.get(key, 0) + 1

    def _free_slot(self, key: ConnectionKey, wake: bool = True) -> None:
        self._open -= 1
        n = self._open_per_key[key] - 1
        if n:
            self._open_per_key[key] = n
        else:
            del self._open_per_key[key]
        if wake and self._waiters:
            self._wake_waiters()

    def _discard(self, key: ConnectionKey, proto: ConnectionProtocol, wake: bool = True) -> None:
        """Close *proto* (already out of the idle structures) and free its slot."""
        proto.idle_expires = None
        proto.close_transport()
        self._free_slot(key, wake)

    async def _wait_for_slot(self, key: ConnectionKey, traces: Sequence[Trace]) -> _Handoff:
        # Waiters still queued are not servable (every change that frees capacity serves
        # them first), so taking capacity that is free now jumps ahead of nobody.
        if self._room_for(key):
            self._reserve(key)
            return None
        fut: asyncio.Future[_Handoff] = self._loop.create_future()
        entry = (next(self._seq), fut)
        queue = self._waiters.get(key)
        if queue is None:
            queue = self._waiters[key] = deque()
        queue.append(entry)
        try:
            # Inside the try: a queued_start callback that raises or is cancelled must leave
            # the queue too, or a slot is later handed to a future nobody awaits.
            if traces:
                for trace in traces:
                    await trace.send_connection_queued_start()
            handoff = await fut
        except BaseException:
            self._abandon_wait(key, entry)
            raise
        if traces:
            try:
                for trace in traces:
                    await trace.send_connection_queued_end()
            except BaseException:
                self._give_back(key, handoff)
                raise
        return handoff

    def _abandon_wait(
        self, key: ConnectionKey, entry: tuple[int, asyncio.Future[_Handoff]]
    ) -> None:
        fut = entry[1]
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            # Served just as we were cancelled: give back what we were handed.
            self._give_back(key, fut.result())
            return
        queue = self._waiters.get(key)
        if queue is not None:
            try:
                queue.remove(entry)
            except ValueError:
                pass
            if not queue:
                del self._waiters[key]

    def _give_back(self, key: ConnectionKey, handoff: _Handoff) -> None:
        if handoff is None:
            self._free_slot(key)
        elif handoff.is_alive() and not self._closed:
            self._park(key, handoff)
        else:
            self._discard(key, handoff)

    def _wake_waiters(self) -> None:
        """Serve queued callers in arrival order while capacity allows (see module doc)."""
        waiters = self._waiters
        while waiters:
            best: tuple[int, ConnectionKey] | None = None
            for key, queue in list(waiters.items()):
                while queue and queue[0][1].done():  # cancelled, not yet cleaned up
                    queue.popleft()
                if not queue:
                    del waiters[key]
                    continue
                seq = queue[0][0]
                if (best is None or seq < best[0]) and (key in self._idle or self._room_for(key)):
                    best = (seq, key)
            if best is None:
                return
            key = best[1]
            queue = waiters[key]
            _, fut = queue.popleft()
            if not queue:
                del waiters[key]
            proto = self._take_idle_for_handoff(key)
            if proto is None:
                self._reserve(key)
            fut.set_result(proto)

    def _take_idle_for_handoff(self, key: ConnectionKey) -> ConnectionProtocol | None:
        stack = self._idle.get(key)
        if not stack:
            return None
        proto = stack.pop()
        if not stack:
            del self._idle[key]
        del self._idle_lru[proto]
        return proto

    # -- releasing --------------------------------------------------------------------
    def _release(
        self, key: ConnectionKey, proto: ConnectionProtocol, should_close: bool = False
    ) -> None:
        """Take a connection back from its user (see :meth:`Connection.release`)."""
        transport = proto.transport
        if (
            should_close
            or self._force_close
            or self._closed
            or self._keepalive_timeout == 0
            or transport is None
            or not proto.is_alive(peek=False)  # the peek happens before reuse
        ):
            self._discard(key, proto)
            return
        if not transport.is_reading():
            transport.resume_reading()  # an idle connection must see the server closing it
        self._park(key, proto)

    def _park(self, key: ConnectionKey, proto: ConnectionProtocol) -> None:
        timeout = self._keepalive_timeout
        proto.idle_expires = self._clock() + timeout if timeout is not None else float("inf")
        stack = self._idle.get(key)
        if stack is None:
            self._idle[key] = [proto]
        else:
            stack.append(proto)
        self._idle_lru[proto] = key
        if self._waiters:
            self._wake_waiters()
        if timeout is not None and self._expiry_handle is None and self._idle_lru:
            self._expiry_handle = self._loop.call_later(timeout, self._expire_idle)

    def _unpark(self, key: ConnectionKey, proto: ConnectionProtocol) -> None:
        del self._idle_lru[proto]
        stack = self._idle[key]
        stack.remove(proto)
        if not stack:
            del self._idle[key]
        proto.idle_expires = None

    def _expire_idle(self) -> None:
        self._expiry_handle = None
        now = self._clock()
        soonest: float | None = None
        for proto, key in list(self._idle_lru.items()):
            expires = proto.idle_expires
            assert expires is not None
            if expires <= now:
                self._unpark(key, proto)
                self._discard(key, proto)
            elif soonest is None or expires < soonest:
                soonest = expires
        if soonest is not None:
            self._expiry_handle = self._loop.call_later(soonest - now, self._expire_idle)

    def _connection_lost(self, proto: ConnectionProtocol) -> None:
        """Called by a protocol whose transport closed; forget it if it was idle."""
        self._all.discard(proto)
        key = self._idle_lru.get(proto)
        if key is not None:
            self._unpark(key, proto)
            self._free_slot(key)

    # -- closing ----------------------------------------------------------------------
    async def close(self) -> None:
        """Close every connection and wait until their transports are really closed.

        Connections in use are closed too. After this returns no transport of this
        connector is open, so the event loop may be closed at once without warnings.
        """
        if not self._closed:
            self._closed = True
            if self._expiry_handle is not None:
                self._expiry_handle.cancel()
                self._expiry_handle = None
            for key, queue in self._waiters.items():
                for _, fut in queue:
                    if not fut.done():
                        fut.set_exception(ClientConnectionError("Connector is closed."))
            self._waiters.clear()
            for proto, key in list(self._idle_lru.items()):
                self._unpark(key, proto)
                self._discard(key, proto)
            self._close_hook()
        protos = list(self._all)
        for proto in protos:
            proto.close_transport()
        if protos:
            await asyncio.gather(*(p.wait_closed() for p in protos))
        self._all.clear()
        await self._close_async_hook()

    def _close_hook(self) -> None:
        """Subclasses release what they hold (caches, resolvers) here."""

    async def _close_async_hook(self) -> None:
        """Subclasses await the release of what they hold here."""

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if not getattr(self, "_closed", True) and getattr(self, "_all", None):
            _warn(f"Unclosed connector {self!r}", ResourceWarning, source=self)

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
