"""How each hop's request is built (a mixin of :class:`RequestPipeline`).

A hop starts from what the request asked for: the session's default and automatic
headers (rebuilt only when ``session.headers`` changes) under the request's own, with a
Host placeholder filled per origin (cached). Its credentials are chosen for its URL: those
in the URL, else the request's ``auth`` until a redirect leaves the first origin, else
the session's ``auth`` for the base URL's origin (or the first hop's). The proxy, and
``.netrc`` credentials with ``trust_env``, are looked up per hop too.
"""

from __future__ import annotations

import sys
from typing import Any

from multidict import CIMultiDict, getversion
from yarl import URL

import ketch_http1 as h1
from ketch_connector import ClientConnectionError, ClientConnectorError, ConnectionKey
from ketch_cookies import AbstractCookieJar

from ._auth import BasicAuth
from ._exceptions import InvalidUrlClientError, NonHttpUrlClientError
from ._helpers import HttpVersion
from ._options import Call
from ._proxy import ProxyInfo, ProxySettings
from ._request import BodyPayload, ClientRequest, cookie_header
from ._version import __version__

__all__ = ["HopBuilder", "strip_auth", "may_retry"]

# RFC 9110 §9.2.2: a request with these methods may be sent again on a new connection when
# its connection fails before any response (see may_retry).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} ketch/{__version__}"
_ACCEPT_ENCODING = ", ".join(
    e for e in ("gzip", "deflate", "br", "zstd") if e in h1.SUPPORTED_ENCODINGS
)
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
_HOST_SLOT = (("Host", ""),)


class HopBuilder:
    """Builds the hops of :class:`ClientSession`'s requests (its state is set by the session)."""

    _base_url: URL | None
    _default_headers: CIMultiDict[str]
    _skip_auto_headers: frozenset[str]
    _default_auth: BasicAuth | None
    _version: HttpVersion
    _trust_env: bool
    _request_class: type[ClientRequest]
    _proxy: ProxySettings
    _auto_version: int
    _auto: CIMultiDict[str]
    _plain: CIMultiDict[str]
    _origins: dict[tuple[str, str], tuple[str, ConnectionKey]]
    _urls: dict[str, URL]
    _head_cache: dict[tuple[tuple[str, str], ...], bytes]
    _heads: dict[tuple[str, str, HttpVersion, tuple[tuple[str, str], ...]], bytes]

    def _build_url(self, str_or_url: str | URL) -> URL:
        """*str_or_url* as an absolute http(s) URL (joined to the base URL), checked.

        Strings are cached per session: a client asks for the same URLs again and again.

        Raises:
            InvalidUrlClientError: not a URL, or no host.
            NonHttpUrlClientError: another scheme.
        """
        if type(str_or_url) is str:
            cached = self._urls.get(str_or_url)
            if cached is not None:
                return cached
            url = self._check_url(str_or_url)
            if len(self._urls) >= 256:
                self._urls.clear()
            self._urls[str_or_url] = url
            return url
        return self._check_url(str_or_url)

    def _check_url(self, str_or_url: str | URL) -> URL:
        try:
            url = URL(str_or_url) if not isinstance(str_or_url, URL) else str_or_url
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url, str(exc)) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            if not scheme:
                raise InvalidUrlClientError(str_or_url, "not an absolute URL")
            raise NonHttpUrlClientError(url)
        if not url.raw_host:
            raise InvalidUrlClientError(str_or_url, "the URL has no host")
        return url

    def _auto_headers(self) -> CIMultiDict[str]:
        """Session defaults plus the automatic headers, rebuilt when ``headers`` changes."""
        defaults = self._default_headers
        version = getversion(defaults)  # type: ignore[arg-type]  # CIMultiDict is a MultiDict
        if version != self._auto_version:
            auto = CIMultiDict(defaults)
            skip = self._skip_auto_headers
            for name, value in (("Accept", "*/*"), ("Accept-Encoding", _ACCEPT_ENCODING),
                                ("User-Agent", _USER_AGENT)):
                if name not in auto and name.lower() not in skip:
                    auto[name] = value
            self._auto = auto
            self._auto_version = version
            # What a request that adds no headers starts from (copied per hop).
            self._plain = CIMultiDict() if "host" in skip else CIMultiDict(_HOST_SLOT)
            self._plain.extend(auto)
        return self._auto

    def _origin(self, url: URL) -> tuple[str, ConnectionKey]:
        """The Host value and the default connection key for *url*'s origin (cached)."""
        cache_key = (url.scheme, url.raw_authority)
        found = self._origins.get(cache_key)
        if found is None:
            raw_host = url.raw_host
            assert raw_host is not None
            is_ssl = url.scheme == "https"
            default_port = 443 if is_ssl else 80
            host = h1.host_header(raw_host, url.explicit_port, default_port)
            found = (host, ConnectionKey(raw_host, url.port or default_port, is_ssl))
            if len(self._origins) >= 1024:
                self._origins.clear()
            self._origins[cache_key] = found
        return found

    def _connection_key(self, req: ClientRequest) -> ConnectionKey:
        proxy = req.proxy
        if req.ssl is True and req.server_hostname is None and proxy is None:
            return self._origin(req.url)[1]  # cached per origin
        url = req.url
        host = url.raw_host
        assert host is not None
        is_ssl = url.scheme == "https"
        return ConnectionKey(
            host, url.port or (443 if is_ssl else 80), is_ssl, req.ssl, req.server_hostname,
            str(proxy) if proxy is not None else None,
            req.proxy_auth if proxy is not None else None,
            req.proxy_headers if proxy is not None and req.proxy_headers else None,
        )

    def _serialize_head(self, req: ClientRequest) -> bytes:
        """``req.serialize_head()``, cached per request line and per header set.

        Successive requests mostly send the very same head (same target, defaults, Host,
        framing): that is one dict lookup. Otherwise the header block is looked up by the
        fields alone (checked when first serialized), so only the request line is
        serialized (and checked) again.
        """
        fields = tuple(req.headers.items())
        method = req.method
        target = req.request_target()
        version = req.version
        heads = self._heads
        key = (method, target, version, fields)
        head = heads.get(key)
        if head is not None:
            return head
        block = self._head_cache.get(fields)
        if block is None:
            head = h1.serialize_head(method, target, fields, version)
            if len(self._head_cache) >= 256:
                self._head_cache.clear()
            self._head_cache[fields] = head[head.index(b"\r\n"):]
        else:
            line = h1.serialize_head(method, target, (), version)
            head = line[:-4] + block
        if len(heads) >= 256:
            heads.clear()
        heads[key] = head
        return head

    def _request_headers(self, headers: Any, skip_extra: frozenset[str] | None) -> CIMultiDict[str]:
        """One hop's headers before credentials and body: Host (a placeholder filled per
        hop, first as RFC 9112 §3.2 asks), session defaults and auto headers, then the
        request's own headers, which win."""
        auto = self._auto_headers()
        if skip_extra is None and not headers:
            return self._plain.copy()
        skip = self._skip_auto_headers if skip_extra is None else skip_extra
        result: CIMultiDict[str] = CIMultiDict() if "host" in skip else CIMultiDict(_HOST_SLOT)
        if skip_extra is None:
            result.extend(auto)
        else:
            defaults = self._default_headers
            result.extend((k, v) for k, v in auto.items()
                          if k.lower() not in skip_extra or k in defaults)
        if headers:
            result.update(headers)
        return result

    def _later_hop_headers(self, call: Call, drop_body: bool, crossed: bool) -> CIMultiDict[str]:
        """A redirect's or retry's headers, built again from what the request asked for."""
        hop_headers = self._request_headers(call.headers, call.skip_extra)
        if drop_body:
            hop_headers.popall("Content-Length", None)
            hop_headers.popall("Transfer-Encoding", None)
        if crossed:
            for name in _CREDENTIAL_HEADERS:
                hop_headers.popall(name, None)
        return hop_headers

    def _hop_auth(self, hop_url: URL, url_auth: BasicAuth | None, auth: BasicAuth | None,
                  crossed: bool, first_url: URL, first_hop: bool) -> BasicAuth | None:
        """The credentials one hop sends: those in its URL, else the request's *auth*,
        else the session's default (only to the base URL's origin, or the first one)."""
        if url_auth is not None and auth is not None and first_hop:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        if url_auth is not None:
            return url_auth
        if crossed:
            return None
        if auth is None and self._default_auth is not None:
            # Every hop before the first cross-origin redirect shares first_url's origin.
            base = self._base_url
            if (base if base is not None else first_url).origin() == hop_url.origin():
                return self._default_auth
        return auth

    async def _hop_proxy(
        self, call: Call, hop_url: URL, hop_auth: BasicAuth | None, hop_headers: CIMultiDict[str],
    ) -> tuple[ProxyInfo | None, BasicAuth | None]:
        """The proxy for one hop, and its credentials (from ``.netrc`` with ``trust_env``)."""
        proxy_info = await self._proxy.choose(
            hop_url, proxy=call.proxy, proxy_auth=call.proxy_auth,
            proxy_headers=call.proxy_headers)
        if (hop_auth is None and self._trust_env and hop_url.host is not None
                and "Authorization" not in hop_headers):
            hop_auth = await self._proxy.netrc_auth(hop_url.host)
        return proxy_info, hop_auth

    def _make_request(
        self, call: Call, method: str, hop_url: URL, original_url: URL,
        hdrs: CIMultiDict[str], payload: BodyPayload | None, cookies: Any,
        auth: BasicAuth | None, jar: AbstractCookieJar, chunked: bool | None,
        proxy_info: ProxyInfo | None,
    ) -> ClientRequest:
        """One hop's request, completing *hdrs* (from :meth:`_request_headers`) in place."""
        if hdrs.get("Host") == "":
            hdrs["Host"] = self._origin(hop_url)[0]
        if auth is not None and "Authorization" in hdrs:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL")
        cookie = cookie_header(jar, hop_url, cookies) if (cookies or len(jar)) else None
        if cookie:
            existing = hdrs.get("Cookie")
            hdrs["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        if auth is not None:
            hdrs["Authorization"] = auth.encode()
        if call.expect100:
            hdrs["Expect"] = "100-continue"
        if proxy_info is not None and hop_url.scheme == "http":
            # Plain http through a proxy: the proxy reads these from the request itself.
            for name, value in proxy_info.headers:
                hdrs.add(name, value)
            if proxy_info.auth_header is not None:
                hdrs["Proxy-Authorization"] = proxy_info.auth_header
        fragmentless = hop_url.with_fragment(None) if hop_url.raw_fragment else hop_url
        req = self._request_class(  # positional (see ClientRequest): made for every hop
            method, fragmentless, hdrs, payload, original_url, auth, self._version,
            call.encoding, chunked, call.expect100, call.ssl, call.server_hostname, self,
            call.skip, call.opts.traces,
        )
        if proxy_info is not None:
            req.proxy = proxy_info.url
            req.proxy_auth = proxy_info.auth_header
            req.proxy_headers = proxy_info.headers
        return req


def strip_auth(url: URL) -> tuple[URL, BasicAuth | None]:
    """The URL without user info, and that user info as ``BasicAuth`` (or None)."""
    if url.raw_user is None and url.raw_password is None:
        return url, None
    return url.with_user(None), BasicAuth(url.user or "", url.password or "")


def may_retry(exc: ClientConnectionError, method: str, payload: BodyPayload | None) -> bool:
    """Whether a hop that failed before any response is sent once more on a new connection.

    The connection may have been pooled and closed by the server meanwhile (RFC 9112
    §9.3.1); a fresh one that failed is retried too, as aiohttp does. Only requests that
    may be repeated are (RFC 9110 §9.2.2), and never a failure to connect.
    """
    return (not isinstance(exc, ClientConnectorError) and method in _IDEMPOTENT
            and (payload is None or payload.is_replayable))
