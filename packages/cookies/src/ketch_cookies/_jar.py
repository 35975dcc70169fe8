"""``CookieJar``: RFC 6265 storage (§5.3) and retrieval (§5.4) with aiohttp's API.

The jar applies the rules; :class:`~._store.CookieStore` keeps the cookies. A request
walks the suffixes of its host (``a.b.example`` → ``b.example`` → ``example``, then the
shared cookies) and looks only at those buckets of the store, so its cost follows the
cookies that can match, not the size of the jar.

Rules beyond RFC 6265 that browsers follow (RFC 6265bis): a Secure cookie needs a secure
origin, an insecure origin cannot shadow a Secure cookie ("leave secure cookies alone"),
the ``__Secure-`` and ``__Host-`` prefixes, ``SameSite=None`` and ``Partitioned`` require
``Secure``, and expiry is capped (``CookieLimits.max_lifetime``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http.cookies import BaseCookie, Morsel, SimpleCookie
from operator import attrgetter
from os import PathLike

from yarl import URL

from . import _persist
from ._abc import AbstractCookieJar, ClearCookiePredicate, LooseCookies
from ._cookie import StoredCookie
from ._dates import MAX_TIMESTAMP
from ._domains import BUILTIN_PUBLIC_SUFFIXES, canonical_domain, domain_match, is_ip_address
from ._parse import ParsedCookie, cookie_from_morsel, cookie_from_value, parse_set_cookie
from ._settings import Clock, CookieLimits
from ._store import Bucket, CookieStore

__all__ = ["CookieJar"]

_SECURE_SCHEMES = frozenset({"https", "wss"})
_SORT_KEY = attrgetter("sort_key")
_HOST_CACHE_SIZE = 4096
_Origin = tuple[str, str | None, int | None]
StrOrURL = str | URL


def default_path(url: URL) -> str:
    """RFC 6265 §5.1.4: the directory of the response URL's path."""
    path = url.raw_path
    if not path.startswith("/"):
        return "/"
    last = path.rfind("/")
    return path[:last] if last > 0 else "/"


def _origins(value: StrOrURL | Iterable[StrOrURL] | None) -> frozenset[URL]:
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str | URL) else list(value)
    origins = set()
    for item in items:
        url = item if isinstance(item, URL) else URL(item)
        try:
            origins.add(url.origin())
        except ValueError as exc:
            raise ValueError(
                f"treat_as_secure_origin needs absolute URLs, got {str(item)!r}"
            ) from exc
    return frozenset(origins)


class _Source:
    """What the jar needs to know about the URL a cookie came from."""

    __slots__ = ("default_path", "host", "is_secure")

    def __init__(self, host: str, is_secure: bool, default_path: str) -> None:
        self.host = host
        self.is_secure = is_secure
        self.default_path = default_path


class CookieJar(AbstractCookieJar):
    """A cookie jar that follows RFC 6265, with aiohttp's ``CookieJar`` API.

    Args:
        unsafe: accept cookies from, and send them to, hosts given as IP addresses
            (refused by default, as RFC 2109 says).
        quote_cookie: apply the RFC 2109 quoting routine to values given by the
            application; with False they are sent as they are.
        treat_as_secure_origin: origins (URLs or strings) to treat as secure although
            their scheme is not https, e.g. ``"http://localhost:8080"``; Secure cookies
            may come from and go to them.
        limits: how many cookies and how large (see :class:`CookieLimits`).
        public_suffixes: tells whether a domain is a public suffix, for which a
            ``Domain`` attribute is refused (§5.3 step 5); the built-in list has the
            common ones, ``PublicSuffixList.from_file`` reads the full list; None turns
            the check off.
        clock: returns the current time in seconds since the epoch.

    Raises:
        ValueError: a ``treat_as_secure_origin`` entry is not an absolute URL.
    """

    __module__ = "ketch_cookies"

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: StrOrURL | Iterable[StrOrURL] | None = None,
        limits: CookieLimits | None = None,
        public_suffixes: Callable[[str], bool] | None = BUILTIN_PUBLIC_SUFFIXES,
        clock: Clock = time.time,
    ) -> None:
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._treat_as_secure = _origins(treat_as_secure_origin)
        self._secure_origins: frozenset[_Origin] = frozenset(
            (u.scheme, u.raw_host, u.port) for u in self._treat_as_secure
        )
        self._limits = limits if limits is not None else CookieLimits()
        self._is_public_suffix = public_suffixes
        self._clock = clock
        self._reset()

    def _reset(self) -> None:
        self._store = CookieStore(self._limits)
        # host -> (store layout, the buckets that can match it, each with "exact host").
        self._host_cache: dict[str, tuple[int, tuple[tuple[Bucket, bool], ...]]] = {}

    @property
    def quote_cookie(self) -> bool:
        """Whether values given by the application are quoted (RFC 2109 routine)."""
        return self._quote_cookie

    @property
    def unsafe(self) -> bool:
        """Whether cookies from and to IP-address hosts are allowed."""
        return self._unsafe

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """The origins treated as secure besides https and wss ones."""
        return self._treat_as_secure

    @property
    def limits(self) -> CookieLimits:
        """The jar's limits."""
        return self._limits

    # ---- reading -------------------------------------------------------------------

    def __len__(self) -> int:
        store = self._store
        if store.count:  # an empty jar (asked before every request) needs no clock
            store.expire(self._clock())
        return store.count

    def __iter__(self) -> Iterator[Morsel[str]]:
        """Every cookie as a new ``Morsel`` with all its attributes, oldest first.

        The morsels are copies: changing one does not change the jar.
        """
        return iter([c.to_morsel() for c in self._cookies_by_age()])

    def _cookies_by_age(self) -> list[StoredCookie]:
        self._store.expire(self._clock())
        return self._store.all_by_age()

    def _host_buckets(self, host: str) -> tuple[int, tuple[tuple[Bucket, bool], ...]]:
        """The store's buckets whose cookies can match *host*, the shared ones last.

        §5.1.3: a host name matches itself and its parent domains; an IP address only
        itself, and only in an unsafe jar. Cached per host until a bucket is created or
        dropped (``CookieStore.layout``), so a request usually skips the suffix walk.
        """
        if not host:
            suffixes: list[str] = []
        elif is_ip_address(host):
            suffixes = [host] if self._unsafe else []
        else:
            labels = host.split(".")
            suffixes = [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]
        domains = self._store.domains
        found = tuple(
            (domains[d], d == host) for d in (*suffixes, "") if d in domains
        )
        cache = self._host_cache
        if len(cache) >= _HOST_CACHE_SIZE:
            cache.clear()
        entry = cache[host] = (self._store.layout, found)
        return entry

    def _is_secure(self, url: URL) -> bool:
        if url.scheme in _SECURE_SCHEMES:
            return True
        return bool(self._secure_origins) and (
            (url.scheme, url.raw_host, url.port) in self._secure_origins
        )

    def filter_cookies(self, request_url: URL = URL()) -> BaseCookie[str]:
        """The cookies to send to *request_url* (RFC 6265 §5.4).

        A cookie goes when its domain matches the host (exactly, for a host-only cookie),
        its path matches the request path, and it is not Secure unless the request is
        over a secure origin; shared cookies go to every host. For a host given as an IP
        address only shared cookies go, unless the jar is ``unsafe``.

        Args:
            request_url: the URL of the request.

        Returns:
            A new ``SimpleCookie`` in §5.4 order (longer paths first, then older), one
            ``Morsel`` per name: the first in that order. The morsels are shared and
            read-only (``copy()`` one to change it).
        """
        result: SimpleCookie = SimpleCookie()
        store = self._store
        if not store.count:
            return result
        now = self._clock()
        heap = store.heap
        if heap and heap[0][0] <= now:
            store.expire(now)
        if type(request_url) is not URL:
            request_url = URL(request_url)
        host = request_url.raw_host or ""
        is_secure = request_url.scheme in _SECURE_SCHEMES or (
            bool(self._secure_origins)
            and (request_url.scheme, host, request_url.port) in self._secure_origins
        )
        path = request_url.raw_path or "/"
        entry = self._host_cache.get(host)
        if entry is None or entry[0] != store.layout:
            entry = self._host_buckets(host)
        matched: list[StoredCookie] = []
        for bucket, exact in entry[1]:
            for c in bucket.values():
                if c.host_only and not exact:
                    continue
                if c.secure and not is_secure:
                    continue
                cp = c.path
                # §5.1.4 path-match, spelled out: this loop is the jar's hot path.
                if cp != "/" and not (
                    path.startswith(cp)
                    and (len(path) == len(cp) or cp[-1] == "/" or path[len(cp)] == "/")
                ):
                    continue
                matched.append(c)
        if not matched:
            return result
        if len(matched) > 1:
            matched.sort(key=_SORT_KEY)
        sent: dict[str, Morsel[str]] = {}
        for c in matched:
            c.last_access = now
            if c.name not in sent:
                sent[c.name] = c.sent or c.sent_morsel()
        dict.update(result, sent)
        return result

    # ---- writing -------------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        """Store cookies given by the application, as if received from *response_url*.

        With no host in *response_url* the cookies are shared: sent to every host
        (unless a ``Domain`` attribute of a ``Morsel`` scopes them).

        Args:
            cookies: a mapping, an iterable of pairs, or a ``BaseCookie``; values are
                ``str`` (quoted per ``quote_cookie``) or ``Morsel`` (its attributes
                apply and its ``coded_value`` is sent).
            response_url: the URL the cookies came from.

        Raises:
            InvalidCookieError: a name or value cannot be sent as given (then nothing is
                stored).
        """
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        parsed: list[ParsedCookie] = []
        for name, value in items:
            if isinstance(value, Morsel):
                parsed.append(cookie_from_morsel(name, value, self._quote_cookie))
            else:
                parsed.append(cookie_from_value(name, value, self._quote_cookie))
        self._keep_all(parsed, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` header values received from *response_url*.

        Each value is parsed by RFC 6265 §5.2 and stored by §5.3; values the RFC says to
        ignore are ignored. The client calls this for every response, redirects included.

        Args:
            headers: the ``Set-Cookie`` field values of one response.
            response_url: the URL of that response.
        """
        if not headers:
            return
        if type(response_url) is not URL:
            response_url = URL(response_url)
        if not self._unsafe and is_ip_address(response_url.raw_host):
            return
        parsed = [c for h in headers if (c := parse_set_cookie(h)) is not None]
        if parsed:
            self._keep_all(parsed, response_url)

    def _origin(self, url: URL) -> _Source | None:
        host = url.raw_host or ""
        if host and not self._unsafe and is_ip_address(host):
            return None
        return _Source(host, self._is_secure(url), default_path(url) if host else "/")

    def _keep_all(self, parsed: list[ParsedCookie], response_url: URL) -> None:
        if type(response_url) is not URL:
            response_url = URL(response_url)
        origin = self._origin(response_url)
        if origin is None:
            return
        now = self._clock()
        self._store.expire(now)
        for cookie in parsed:
            self._keep(cookie, origin, now)

    def _expiry(self, cookie: ParsedCookie, now: float) -> float | None:
        """§5.3 step 3: Max-Age wins over Expires; none of them makes a session cookie."""
        if cookie.max_age is not None:
            if cookie.max_age <= 0:
                return -math.inf
            # Clamp before adding: a thousand-digit Max-Age overflows a float.
            expires = now + min(cookie.max_age, MAX_TIMESTAMP)
        elif cookie.expires is not None:
            expires = cookie.expires
        else:
            return None
        lifetime = self._limits.max_lifetime
        if lifetime is not None and expires > now + lifetime:
            expires = now + lifetime
        return min(expires, MAX_TIMESTAMP)

    def _scope(self, cookie: ParsedCookie, host: str) -> tuple[str, bool] | None:
        """§5.3 steps 4-6: the cookie's domain and host-only flag, or None to ignore it."""
        domain = cookie.domain or ""
        check = self._is_public_suffix
        if domain and check is not None and check(domain):
            if domain != host:
                return None
            domain = ""  # the host itself is a public suffix: host-only (step 5)
        if not host:
            return (domain, False)
        if not domain:
            return (host, True)
        if not domain_match(host, domain):
            return None
        return (domain, False)

    def _origin_allows(self, c: ParsedCookie, domain: str, path: str, host_only: bool,
                       origin: _Source) -> bool:
        """The rules of RFC 6265bis (and CHIPS) for cookies a server sets."""
        secure = c.secure
        if secure and not origin.is_secure:
            return False
        prefix = c.name[:9].lower()
        if prefix == "__secure-" and not secure:
            return False
        if prefix[:7] == "__host-" and not (secure and host_only and path == "/"):
            return False
        if (c.partitioned or c.same_site == "None") and not secure:
            return False
        # RFC 6265bis §5.7 step 16: an insecure cookie may not overlay a Secure one.
        return secure or origin.is_secure or not self._store.shadows_secure(c.name, domain, path)

    def _keep(self, c: ParsedCookie, origin: _Source, now: float) -> None:
        if len(c.name) + len(c.coded_value) > self._limits.max_cookie_size:
            return
        scope = self._scope(c, origin.host)
        if scope is None:
            return
        domain, host_only = scope
        path = c.path or origin.default_path
        if origin.host and not self._origin_allows(c, domain, path, host_only, origin):
            return
        expires = self._expiry(c, now)
        store = self._store
        old = store.get(domain, path, c.name)
        if old is not None:
            store.remove(old)
        if expires is not None and expires <= now:
            return  # a past expiry only deletes (§5.3 step 11 then nothing to insert)
        new = StoredCookie(
            c.name, c.value, c.coded_value, domain, path,
            host_only=host_only, secure=c.secure, http_only=c.http_only, expires=expires,
            same_site=c.same_site, partitioned=c.partitioned, creation=now,
            seq=store.next_seq(),
        )
        if old is not None:
            new.keep_creation_of(old)
        store.insert(new)
        store.enforce_limits(domain)

    # ---- clearing ------------------------------------------------------------------

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those for which *predicate(morsel)* is true.

        Args:
            predicate: called with a ``Morsel`` of each cookie (all attributes set).
        """
        if predicate is None:
            self._reset()
            return
        for c in self._cookies_by_age():
            if predicate(c.to_morsel()):
                self._store.remove(c)

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of *domain* and of its subdomains.

        Args:
            domain: a domain name, e.g. ``"example.com"`` (a leading dot is ignored).
        """
        bare = domain[1:] if domain.startswith(".") else domain
        target = canonical_domain(bare) or bare.lower()
        if target:
            self._store.remove_domain(target)

    # ---- persistence ---------------------------------------------------------------

    def save(self, file_path: str | PathLike[str]) -> None:
        """Write every cookie to *file_path* as versioned JSON (never pickle).

        The file keeps each cookie's scope (host-only or domain), absolute expiry and
        every attribute; it is written atomically and readable by the owner only.

        Args:
            file_path: where to write.

        Raises:
            OSError: the file cannot be written.
        """
        _persist.save_json(file_path, self._cookies_by_age())

    def load(self, file_path: str | PathLike[str]) -> None:
        """Replace the jar's cookies with those saved in *file_path* by :meth:`save`.

        Expired cookies in the file are skipped. The whole file is checked before the
        jar changes: any damage leaves the jar as it was.

        Args:
            file_path: the file to read.

        Raises:
            CookieFileError: the file is not a cookie file of a known version, or an
                entry breaks a rule (names the entry, the field and the value).
            OSError: the file cannot be read.
        """
        cookies = _persist.load_json(file_path, self._checker(), self._clock())
        self._replace(cookies)

    def export_netscape(self, file_path: str | PathLike[str]) -> None:
        """Write the cookies in the Netscape ``cookies.txt`` format (curl, wget, browsers).

        That format has no place for SameSite and Partitioned, and shared cookies (set
        without a URL) have no domain to write, so those are not in the file; use
        :meth:`save` to keep everything.

        Args:
            file_path: where to write.

        Raises:
            OSError: the file cannot be written.
        """
        _persist.save_netscape(file_path, self._cookies_by_age())

    def import_netscape(self, file_path: str | PathLike[str]) -> None:
        """Add the cookies of a Netscape ``cookies.txt`` file to the jar.

        A cookie in the file replaces the jar's cookie of the same domain, path and name;
        expired ones are skipped. Any malformed line leaves the jar as it was.

        Args:
            file_path: the file to read.

        Raises:
            CookieFileError: a line is malformed (names the line and what is wrong).
            OSError: the file cannot be read.
        """
        now = self._clock()
        cookies = _persist.load_netscape(file_path, self._checker(), now)
        merged = {c.key: c for c in self._cookies_by_age()}
        for c in cookies:
            if (old := merged.get(c.key)) is not None:
                c.keep_creation_of(old)  # as a replacing Set-Cookie would (§5.3 step 11)
            merged[c.key] = c
        _persist.check_counts(file_path, merged.values(), self._limits)
        self._replace(list(merged.values()))

    def _checker(self) -> _persist.Checker:
        return _persist.Checker(self._limits, self._is_public_suffix, self._clock())

    def _replace(self, cookies: list[StoredCookie]) -> None:
        self._reset()
        self._store.fill(cookies)

