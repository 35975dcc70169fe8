"""The connector's DNS cache: bounded, expiring, one query per name at a time.

Entries are keyed by ``(host, port, family)`` and kept in least-recently-used order, so a
client talking to many names holds at most ``max_entries`` of them. Concurrent lookups of
a name that is not cached share one query: the first caller starts it as a task, later
callers await the same task (shielded, so one caller's cancellation does not cancel the
others' lookup).
"""

from __future__ import annotations

import asyncio
import socket
from collections import OrderedDict
from collections.abc import Callable, Sequence

from ketch_tracing import Trace

from ._resolver import AbstractResolver, ResolveResult

__all__ = ["DNSCache"]

_CacheKey = tuple[str, int, int]


class DNSCache:
    """Resolved addresses with a time to live, in front of a resolver.

    Args:
        resolver: where misses go.
        ttl: seconds an answer is kept; None keeps it until cleared (or evicted).
        max_entries: most names kept; the least recently used is dropped beyond it.
        clock: monotonic clock (tests inject one).
    """

    def __init__(
        self,
        resolver: AbstractResolver,
        ttl: float | None,
        max_entries: int,
        clock: Callable[[], float],
    ) -> None:
        if ttl is not None and ttl < 0:
            raise ValueError(f"ttl_dns_cache must be >= 0 or None, got {ttl!r}")
        if max_entries < 1:
            raise ValueError(f"the DNS cache needs room for at least 1 entry, got {max_entries!r}")
        self._resolver = resolver
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[_CacheKey, tuple[list[ResolveResult], float]] = OrderedDict()
        self._inflight: dict[_CacheKey, asyncio.Task[list[ResolveResult]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily, traces: Sequence[Trace]
    ) -> list[ResolveResult]:
        """Cached addresses of *host*, or the answer of one (shared) query.

        Raises:
            OSError: the resolver failed.
        """
        key = (host, port, int(family))
        entry = self._entries.get(key)
        if entry is not None:
            if entry[1] > self._clock():
                self._entries.move_to_end(key)
                if traces:
                    for trace in traces:
                        await trace.send_dns_cache_hit(host)
                return entry[0]
            del self._entries[key]
        if traces:
            for trace in traces:
                await trace.send_dns_cache_miss(host)
            for trace in traces:
                await trace.send_dns_resolvehost_start(host)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._query(key, host, port, family))
            self._inflight[key] = task
            task.add_done_callback(_consume_exception)
        result = await asyncio.shield(task)
        if traces:
            for trace in traces:
                await trace.send_dns_resolvehost_end(host)
        return result

    async def _query(
        self, key: _CacheKey, host: str, port: int, family: socket.AddressFamily
    ) -> list[ResolveResult]:
        try:
            result = await self._resolver.resolve(host, port, family=family)
        finally:
            del self._inflight[key]
        ttl = self._ttl
        if ttl != 0:
            expires = self._clock() + ttl if ttl is not None else float("inf")
            self._entries[key] = (result, expires)
            self._entries.move_to_end(key)
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return result

    def clear(self, host: str | None = None, port: int | None = None) -> None:
        """Forget one name (both *host* and *port*), or everything (neither).

        Raises:
            ValueError: only one of *host* and *port* was given.
        """
        if host is None and port is None:
            self._entries.clear()
            return
        if host is None or port is None:
            raise ValueError(
                f"give both host and port, or neither (got host={host!r}, port={port!r})"
            )
        for k in [k for k in self._entries if k[0] == host and k[1] == port]:
            del self._entries[k]

    async def close(self) -> None:
        """Cancel queries in flight and wait for them to end."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._entries.clear()


def _consume_exception(task: asyncio.Task[list[ResolveResult]]) -> None:
    # Every waiter may have been cancelled; the failure is theirs to see, not the loop's.
    if not task.cancelled():
        task.exception()
