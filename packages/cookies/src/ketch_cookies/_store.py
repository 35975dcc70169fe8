"""The cookie index: cookies by domain, their expiry heap, and eviction.

Theory of operation. ``domains`` maps a cookie domain to a bucket keyed by (path, name),
so a cookie's identity (domain, path, name) finds it in two dict lookups, and a request
only visits the buckets of its host's suffixes. The empty domain holds *shared* cookies.

Expiry uses a heap of (expiry, n, cookie) entries: :meth:`CookieStore.expire` pops what has
expired, so a caller that expires first never sees an expired cookie. Entries of cookies
replaced or removed since are skipped when popped and compacted when they pile up.

Eviction follows RFC 6265 §5.3: over a domain's or the store's limit, the least recently
used cookies go (ties by creation order). The jar sets ``last_access`` when it sends a
cookie, which is all the hot path pays; victims are found by scanning the domain's bucket,
or — rarely, over the store's limit — the whole store, which then drops 10% under its limit
as Firefox does, so that a full jar does not search on every new cookie.

Secure cookies are also indexed by name, for RFC 6265bis's "leave secure cookies alone".
"""

from __future__ import annotations

import heapq
import itertools
from operator import attrgetter

from ._cookie import StoredCookie, sort_key
from ._domains import domain_match
from ._settings import CookieLimits

__all__ = ["Bucket", "CookieStore", "path_match"]

_LRU_KEY = attrgetter("last_access", "seq")
Bucket = dict[tuple[str, str], StoredCookie]


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4: whether *request_path* path-matches *cookie_path*."""
    if not request_path.startswith(cookie_path):
        return False
    n = len(cookie_path)
    return len(request_path) == n or cookie_path[-1] == "/" or request_path[n] == "/"


class CookieStore:
    """Cookies indexed by domain, with expiry and limits; no RFC rules of its own."""

    def __init__(self, limits: CookieLimits) -> None:
        self.limits = limits
        self.domains: dict[str, Bucket] = {}
        # Changes whenever a bucket is created or dropped, so a cached list of a host's
        # buckets (the jar keeps one per host) knows when it is out of date.
        self.layout = 0
        self.count = 0
        self.heap: list[tuple[float, int, StoredCookie]] = []
        self._heap_seq = itertools.count()
        self._secure_by_name: dict[str, set[StoredCookie]] = {}
        self._seq = itertools.count()

    def next_seq(self) -> int:
        """The creation number of a new cookie."""
        return next(self._seq)

    def get(self, domain: str, path: str, name: str) -> StoredCookie | None:
        """The cookie of that identity, if stored."""
        bucket = self.domains.get(domain)
        return bucket.get((path, name)) if bucket is not None else None

    def all_by_age(self) -> list[StoredCookie]:
        """Every stored cookie, oldest first (the caller expires first)."""
        cookies = [c for bucket in self.domains.values() for c in bucket.values()]
        cookies.sort(key=attrgetter("creation", "seq"))
        return cookies

    def insert(self, c: StoredCookie) -> None:
        """Add a cookie whose identity is not stored (remove the old one first)."""
        bucket = self.domains.get(c.domain)
        if bucket is None:
            bucket = self.domains[c.domain] = {}
            self.layout += 1
        bucket[(c.path, c.name)] = c
        self.count += 1
        if c.expires is not None:
            heapq.heappush(self.heap, (c.expires, next(self._heap_seq), c))
        if c.secure:
            self._secure_by_name.setdefault(c.name, set()).add(c)

    def remove(self, c: StoredCookie) -> None:
        """Remove a stored cookie."""
        bucket = self.domains[c.domain]
        del bucket[(c.path, c.name)]
        if not bucket:
            del self.domains[c.domain]
            self.layout += 1
        self.count -= 1
        if c.secure:
            same_name = self._secure_by_name[c.name]
            same_name.discard(c)
            if not same_name:
                del self._secure_by_name[c.name]

    def remove_domain(self, domain: str) -> None:
        """Remove the cookies of *domain* and its subdomains."""
        for name in [d for d in self.domains if domain_match(d, domain)]:
            for c in list(self.domains[name].values()):
                self.remove(c)

    def _is_stored(self, c: StoredCookie) -> bool:
        return self.get(c.domain, c.path, c.name) is c

    def expire(self, now: float) -> None:
        """Remove every cookie whose expiry is at or before *now*."""
        heap = self.heap
        while heap and heap[0][0] <= now:
            c = heapq.heappop(heap)[2]
            if self._is_stored(c):
                self.remove(c)
        # Stale entries (replaced or removed cookies) wait to be popped; rebuild when
        # they outnumber the live ones so the heap stays proportional to the store.
        if len(heap) > 2 * self.count + 64:
            live = [e for e in heap if self._is_stored(e[2])]
            heapq.heapify(live)
            self.heap = live

    def enforce_limits(self, domain: str) -> None:
        """Evict the least recently used cookies of *domain*, then of the store, if over."""
        bucket = self.domains.get(domain)
        if bucket is not None and len(bucket) > self.limits.max_cookies_per_domain:
            self.remove(min(bucket.values(), key=_LRU_KEY))
        limit = self.limits.max_cookies
        if self.count > limit:
            quota = limit - limit // 10
            everything = (c for b in self.domains.values() for c in b.values())
            for c in heapq.nsmallest(self.count - quota, everything, key=_LRU_KEY):
                self.remove(c)

    def shadows_secure(self, name: str, domain: str, path: str) -> bool:
        """RFC 6265bis §5.7: whether a Secure cookie of *name* overlaps that scope."""
        for other in self._secure_by_name.get(name, ()):
            if (domain_match(domain, other.domain) or domain_match(other.domain, domain)) and (
                path_match(path, other.path)
            ):
                return True
        return False

    def fill(self, cookies: list[StoredCookie]) -> None:
        """Insert loaded cookies into this (empty) store, keeping their order and use."""
        # Renumber in creation order, so cookies created in one clock tick keep theirs.
        for c in sorted(cookies, key=attrgetter("creation", "seq")):
            c.seq = self.next_seq()
            c.sort_key = sort_key(c.path, c.seq)
        for c in cookies:
            self.insert(c)
