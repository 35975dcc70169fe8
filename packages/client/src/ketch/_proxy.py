"""Choosing the proxy for each hop: explicit settings, the environment and ``.netrc``.

Theory of operation
-------------------
A session builds one :class:`ProxySettings` from its ``proxy``, ``proxy_auth``,
``proxy_headers`` and ``trust_env`` arguments; the explicit values are validated there, once.
For every hop (the first request and each redirect) the session calls :meth:`ProxySettings.choose`
with the hop's URL and the request's own proxy arguments and gets a :class:`ProxyInfo` (or None:
connect directly). Deriving the proxy per hop is what makes a redirect to a ``NO_PROXY`` host go
direct, and what keeps a ``Proxy-Authorization`` value with the proxy it was made for: the
credentials are part of the answer for one proxy and never carried over to another.

Which proxy (first match wins):

1. ``proxy=`` of the request;
2. ``proxy=`` of the session;
3. with ``trust_env=True``, the environment, read as :func:`urllib.request.getproxies` reads it
   (``HTTP_PROXY``, ``HTTPS_PROXY``, ``WS_PROXY``, ``WSS_PROXY`` in any case, lower case winning;
   ``HTTP_PROXY`` in upper case ignored when ``REQUEST_METHOD`` is set, i.e. inside a CGI script,
   see CVE-2016-1000110), for the scheme of the hop's URL, unless ``NO_PROXY`` covers the host
   (:mod:`ketch._no_proxy` lists the accepted forms). An environment value without a scheme
   (``proxy.corp:3128``) means ``http://``, as curl reads it. An explicit ``proxy=`` is never
   subject to ``NO_PROXY``. On macOS and Windows ``getproxies`` falls back to the system's proxy
   settings when the environment names none; the system's bypass list is not consulted.

Which credentials for that proxy (first match wins):

* an explicit proxy: the request's ``proxy_auth``, credentials in the request's proxy URL or a
  ``Proxy-Authorization`` in the request's ``proxy_headers`` (more than one of them is a
  ``ValueError``); then the session's, in the same order; then, with ``trust_env``, ``.netrc``;
* a proxy from the environment: credentials in its URL, else ``.netrc``. ``proxy_auth`` and a
  ``Proxy-Authorization`` header given without a ``proxy=`` are *not* sent to it: credentials only
  go to a proxy they were given with.

``proxy_headers`` of the session and of the request are merged (the request's win, by name) and
sent to whichever proxy is chosen.

How the proxy is used: the session sends plain ``http://`` targets to the proxy in absolute
form (RFC 9112 §3.2.2) with ``Proxy-Authorization`` and the proxy headers on the request itself;
for ``https://`` targets the connector (``ketch_connector``) opens a ``CONNECT`` tunnel
(RFC 9110 §9.3.6), sending those on the ``CONNECT`` only, and runs TLS to the target inside it;
an ``https://`` proxy is reached over TLS first (TLS in TLS for ``https://`` targets). A refused
``CONNECT`` is ``ClientHttpProxyError`` with the proxy's status; a proxy that cannot be reached
is ``ClientProxyConnectionError``; for plain ``http://`` targets the proxy's own answer (a 407,
say) is the response. Nothing is retried. The request's ``ssl=`` (or, without one, the
connector's default) applies to the target *and*, as aiohttp's reference says, to the TLS
connection with an ``https://`` proxy: a custom ``ssl.SSLContext`` must trust the certificates
of both.

The environment is read once per session, on the first request that needs it, in a worker thread
(``getproxies`` may query the operating system). ``.netrc`` (``$NETRC`` or ``~/.netrc``) is read
in a worker thread and again only when the file changes (:mod:`ketch._netrc`).
"""

from __future__ import annotations

import asyncio
import os
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Union

from yarl import URL

from ._auth import BasicAuth
from ._exceptions import InvalidURL
from ._netrc import NetrcFile, netrc_path
from ._no_proxy import NoProxy

__all__ = ["ProxyInfo", "ProxySettings", "parse_proxy_url"]

ProxyHeaders = Union[Mapping[str, str], Iterable[tuple[str, str]]]
HeaderPairs = tuple[tuple[str, str], ...]

_PROXY_SCHEMES = frozenset({"http", "https"})
_SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})
# The URL schemes the environment has a proxy variable for (as aiohttp reads them).
_ENV_SCHEMES = ("http", "https", "ws", "wss")
_PROXY_AUTHORIZATION = "proxy-authorization"
_PARSE_CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class ProxyInfo:
    """The proxy for one hop, as the session hands it to the connector.

    Attributes:
        url: the proxy's origin (``http://host:port`` or ``https://host:port``), without
            credentials, path or query.
        auth_header: the ``Proxy-Authorization`` value for this proxy, or None.
        headers: extra headers for the proxy (``CONNECT`` request, or the request itself for
            ``http://`` targets); never contains ``Proxy-Authorization``.
    """

    url: URL
    auth_header: str | None = None
    headers: HeaderPairs = ()


@dataclass(frozen=True, slots=True)
class _ProxyURL:
    """A validated proxy URL: its origin and the header made from credentials in it."""

    url: URL
    auth_header: str | None


def parse_proxy_url(proxy: str | URL, *, source: str = "proxy") -> tuple[URL, str | None]:
    """Validate a proxy URL.

    Args:
        proxy: ``http://[user:pass@]host[:port]`` or ``https://...`` (a path is ignored).
        source: what the value came from, for error messages (``"proxy"``, ``"HTTPS_PROXY"``).

    Returns:
        The proxy's origin (credentials removed) and the ``Proxy-Authorization`` value made
        from credentials in the URL (None without credentials).

    Raises:
        InvalidURL: (a ``ValueError`` and a ``ClientError``) the URL cannot be parsed, has no
            host, or its scheme is not ``http``/``https``; ``socks4://``, ``socks4a://``,
            ``socks5://`` and ``socks5h://`` get a message saying SOCKS is not supported yet.
            Passwords are masked in the message.
    """
    try:
        url = proxy if isinstance(proxy, URL) else URL(proxy)
        scheme = url.scheme.lower()
        host = url.raw_host
        _ = url.port  # yarl validates the port lazily: fail here, not in the connector
    except (ValueError, TypeError) as exc:
        raise InvalidURL(_redact(str(proxy)), f"{source} is not a valid URL: {exc}") from exc
    if scheme in _SOCKS_SCHEMES:
        raise InvalidURL(
            _redact(str(proxy)),
            f"{source}: SOCKS proxies ({scheme}://) are not supported yet; "
            "use an http:// or https:// proxy",
        )
    if scheme not in _PROXY_SCHEMES:
        raise InvalidURL(
            _redact(str(proxy)),
            f"{source}: unsupported proxy scheme {scheme!r}; expected http:// or https://",
        )
    if not host:
        raise InvalidURL(_redact(str(proxy)), f"{source} has no host")
    auth_header = None
    if url.raw_user is not None or url.raw_password is not None:
        auth_header = _basic_header(url.user or "", url.password or "", source)
    return url.origin(), auth_header


class ProxySettings:
    """A session's proxy configuration; answers "which proxy for this hop?".

    Built once per session. The explicit values are validated here; the environment and
    ``.netrc`` are read lazily (see the module documentation for every rule).

    Args:
        proxy: the default proxy URL for every request, or None.
        proxy_auth: the default ``BasicAuth`` for the proxy, or None.
        proxy_headers: default extra headers for the proxy (a mapping or pairs), or None.
        trust_env: read proxies from the environment and credentials from ``.netrc``.

    Raises:
        InvalidURL: *proxy* is not a usable proxy URL (including SOCKS, not supported yet).
        ValueError: credentials given twice (*proxy_auth* and credentials in *proxy*, or a
            ``Proxy-Authorization`` in *proxy_headers* as well), or *proxy_auth* is not a
            ``BasicAuth``.
    """

    __slots__ = ("_default", "_default_auth", "_default_headers", "_default_header_auth",
                 "_trust_env", "_env", "_parsed")

    def __init__(
        self,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: ProxyHeaders | None = None,
        trust_env: bool = False,
    ) -> None:
        self._parsed: dict[str | URL, _ProxyURL] = {}
        self._default = self._parse(proxy) if proxy is not None else None
        self._default_auth = _encode_auth(proxy_auth)
        headers, header_auth = _split_headers(_header_pairs(proxy_headers))
        self._default_headers = headers
        self._default_header_auth = header_auth
        _check_once(
            self._default_auth, self._default.auth_header if self._default else None,
            header_auth, proxy, "the session's",
        )
        self._trust_env = trust_env
        self._env: _Environment | None = None

    @property
    def trust_env(self) -> bool:
        """Whether the environment and ``.netrc`` are consulted."""
        return self._trust_env

    async def choose(
        self,
        url: URL,
        *,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: ProxyHeaders | None = None,
    ) -> ProxyInfo | None:
        """The proxy for one hop, or None to connect directly.

        Args:
            url: the hop's absolute URL.
            proxy: the request's ``proxy=`` (None: the session's, then the environment).
            proxy_auth: the request's ``proxy_auth=``, or None.
            proxy_headers: the request's ``proxy_headers=``, or None.

        Returns:
            The proxy's origin, the ``Proxy-Authorization`` value for it and the extra headers.

        Raises:
            InvalidURL: the request's *proxy*, or the environment's proxy for this scheme, is
                not a usable proxy URL (SOCKS included).
            ValueError: the request gives proxy credentials twice, or *proxy_auth* is not a
                ``BasicAuth``.
        """
        if proxy is None and self._default is None:
            if not self._trust_env:
                return None
            return await self._from_environment(url, proxy_headers)
        auth = _encode_auth(proxy_auth)
        if proxy_headers is None:
            headers, header_auth = self._default_headers, None
        else:
            headers, header_auth = _split_headers(
                _merge(self._default_headers, _header_pairs(proxy_headers))
            )
        if proxy is not None:
            chosen = self._parse(proxy)
            _check_once(auth, chosen.auth_header, header_auth, proxy, "the request's")
            auth = auth or chosen.auth_header or header_auth
        else:
            assert self._default is not None
            chosen = self._default
            _check_once(auth, None, header_auth, None, "the request's")
            auth = auth or header_auth or chosen.auth_header
        auth = auth or self._default_auth or self._default_header_auth
        if auth is None and self._trust_env:
            auth = await self._netrc_header(chosen.url)
        return ProxyInfo(chosen.url, auth, headers)

    async def netrc_auth(self, host: str) -> BasicAuth | None:
        """Basic credentials for a target host from ``.netrc`` (only with ``trust_env``).

        The session calls this for a hop whose request carries no credentials of its own.

        Args:
            host: the target's host name (yarl's ``URL.host``).

        Returns:
            A ``BasicAuth`` from the host's ``machine`` entry (or the ``default`` entry), or
            None without ``trust_env``, without a ``.netrc`` or without a matching entry.
        """
        if not self._trust_env:
            return None
        env = self._env or await self._load_environment()
        found = await env.netrc.lookup(host)
        if found is None:
            return None
        try:
            return BasicAuth(found[0], found[1])
        except ValueError as exc:
            raise ValueError(f".netrc entry for {host!r} is unusable: {exc}") from exc

    async def _from_environment(
        self, url: URL, proxy_headers: ProxyHeaders | None
    ) -> ProxyInfo | None:
        env = self._env or await self._load_environment()
        entry = env.proxies.get(url.scheme)
        host = url.raw_host
        if entry is None or host is None or env.no_proxy.matches(host, url.port):
            return None
        if isinstance(entry, _BadProxy):
            raise InvalidURL(entry.shown, entry.description)
        if proxy_headers is None:
            headers = self._default_headers
        else:
            # Credentials given without a proxy= stay unsent: they were not given for this one.
            headers, _ = _split_headers(_merge(self._default_headers, _header_pairs(proxy_headers)))
        auth = entry.auth_header or await self._netrc_header(entry.url)
        return ProxyInfo(entry.url, auth, headers)

    async def _netrc_header(self, proxy: URL) -> str | None:
        env = self._env or await self._load_environment()
        found = await env.netrc.lookup(proxy.host or "")
        if found is None:
            return None
        return _basic_header(found[0], found[1], ".netrc")

    async def _load_environment(self) -> _Environment:
        env = await asyncio.to_thread(_read_environment)
        if self._env is None:  # concurrent first requests: keep the first snapshot
            self._env = env
        return self._env

    def _parse(self, proxy: str | URL) -> _ProxyURL:
        found = self._parsed.get(proxy)
        if found is None:
            found = _ProxyURL(*parse_proxy_url(proxy))
            if len(self._parsed) >= _PARSE_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[proxy] = found
        return found


@dataclass(frozen=True, slots=True)
class _BadProxy:
    """An environment proxy value that cannot be used; raised when a request would use it."""

    shown: str
    description: str


@dataclass(frozen=True, slots=True)
class _Environment:
    proxies: Mapping[str, _ProxyURL | _BadProxy]
    no_proxy: NoProxy
    netrc: NetrcFile


def _read_environment() -> _Environment:
    """Runs in a worker thread: one snapshot of the proxy environment."""
    found = urllib.request.getproxies()
    proxies: dict[str, _ProxyURL | _BadProxy] = {}
    for scheme in _ENV_SCHEMES:
        value = found.get(scheme)
        if not value:
            continue
        if "://" not in value:
            value = "http://" + value
        name = f"{scheme.upper()}_PROXY"
        try:
            proxies[scheme] = _ProxyURL(*parse_proxy_url(value, source=name))
        except InvalidURL as exc:
            proxies[scheme] = _BadProxy(str(exc.url), exc.description or name)
    no_proxy = NoProxy.parse(found.get("no", ""))
    return _Environment(proxies, no_proxy, NetrcFile(netrc_path(os.environ)))


def _header_pairs(headers: ProxyHeaders | None) -> HeaderPairs:
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs = tuple((str(k), str(v)) for k, v in items)
    return pairs


def _merge(base: HeaderPairs, override: HeaderPairs) -> HeaderPairs:
    """*base* with every header named in *override* replaced by *override*'s values."""
    if not base:
        return override
    names = {k.lower() for k, _ in override}
    return tuple(p for p in base if p[0].lower() not in names) + override


def _split_headers(pairs: HeaderPairs) -> tuple[HeaderPairs, str | None]:
    """Take ``Proxy-Authorization`` out of *pairs* (it travels as ``ProxyInfo.auth_header``)."""
    auth = None
    rest = []
    for name, value in pairs:
        if name.lower() == _PROXY_AUTHORIZATION:
            if auth is not None:
                raise ValueError("proxy_headers has more than one Proxy-Authorization header")
            auth = value
        else:
            rest.append((name, value))
    return tuple(rest), auth


def _check_once(
    auth: str | None, url_auth: str | None, header_auth: str | None,
    proxy: str | URL | None, whose: str,
) -> None:
    given = [what for what, value in (
        ("proxy_auth", auth),
        (f"credentials in the proxy URL {_redact(str(proxy))!r}", url_auth),
        ("a Proxy-Authorization header in proxy_headers", header_auth),
    ) if value is not None]
    if len(given) > 1:
        raise ValueError(
            f"{whose} proxy credentials are given twice ({' and '.join(given)}); give them once"
        )


def _encode_auth(auth: BasicAuth | None) -> str | None:
    if auth is None:
        return None
    if not isinstance(auth, BasicAuth):
        raise ValueError(f"proxy_auth must be None or a BasicAuth, not {type(auth).__name__}")
    return auth.encode()


def _basic_header(login: str, password: str, source: str) -> str:
    try:
        return BasicAuth(login, password).encode()
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"{source}: unusable proxy credentials for user {login!r}: {exc}") from exc


def _redact(text: str) -> str:
    """*text* with the userinfo of a URL masked, so passwords never reach messages or logs."""
    start = text.find("://")
    start = 0 if start < 0 else start + 3
    end = len(text)
    for stop in "/?#":
        pos = text.find(stop, start)
        if pos >= 0:
            end = min(end, pos)
    at = text.rfind("@", start, end)
    if at < 0:
        return text
    return f"{text[:start]}***@{text[at + 1:]}"
