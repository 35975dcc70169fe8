"""TCPConnector: resolve, connect (Happy Eyeballs), TLS, and tunnels through HTTP proxies."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl as _ssl
import warnings
from collections.abc import Sequence
from typing import Unpack

from yarl import URL

from ketch_tracing import Trace

from ._connection import ConnectionProtocol
from ._dns import DNSCache
from ._exceptions import ClientConnectorDNSError, ClientConnectorError, ClientProxyConnectionError
from ._happy_eyeballs import AddrInfo, SocketFactory, connect_first
from ._key import ConnectionKey
from ._pool import BaseConnector, PoolOptions, peer_timeout
from ._proxy_tunnel import open_tunnel
from ._resolver import AbstractResolver, DefaultResolver, ResolveResult
from ._tls import Fingerprint, SSLSetting, resolve_ssl, start_tls

__all__ = ["TCPConnector"]

_PROXY_PORTS = {"http": 80, "https": 443}


@functools.lru_cache(maxsize=512)
def _ip_family(host: str) -> int:
    """The family of an IP literal, or 0 for a name (cached: hosts repeat)."""
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return 0


def _legacy_ssl(
    ssl: SSLSetting, verify_ssl: bool, ssl_context: _ssl.SSLContext | None,
    fingerprint: bytes | None,
) -> SSLSetting:
    """Fold aiohttp's deprecated ``verify_ssl``/``ssl_context``/``fingerprint`` into ``ssl``."""
    legacy = {
        "verify_ssl": not verify_ssl, "ssl_context": ssl_context is not None,
        "fingerprint": fingerprint is not None,
    }
    used = [name for name, given in legacy.items() if given]
    if not used:
        return ssl
    if ssl is not True or len(used) > 1:
        raise ValueError(
            f"verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive "
            f"(got {', '.join(used)}{' and ssl' if ssl is not True else ''})"
        )
    warnings.warn(f"{used[0]} is deprecated, use ssl=... instead", DeprecationWarning, stacklevel=3)
    if ssl_context is not None:
        return ssl_context
    if fingerprint is not None:
        return Fingerprint(fingerprint)
    return False


class TCPConnector(BaseConnector):
    """Connections over TCP, with TLS and HTTP proxy tunnels.

    Args:
        ssl: the default TLS setting: True (verify with the system trust store), False
            (no verification), an ``ssl.SSLContext``, or a :class:`Fingerprint`. A request's
            own ``ssl`` (in its :class:`ConnectionKey`) overrides it unless it is True.
        verify_ssl, ssl_context, fingerprint: aiohttp's deprecated spellings of *ssl*.
        use_dns_cache: keep resolved addresses (see *ttl_dns_cache*).
        ttl_dns_cache: seconds a resolution is kept; None keeps it until cleared.
        family: ``socket.AF_INET``/``AF_INET6`` to use one family only; 0 for both.
        local_addr: ``(host, port)`` to bind the local end of every connection to.
        resolver: an :class:`AbstractResolver`; a :class:`ThreadedResolver` by default.
        happy_eyeballs_delay: seconds between connection attempts to a name's addresses
            (RFC 8305); None tries them one after the other.
        interleave: addresses of the first family tried before alternating (RFC 8305 §4).
        socket_factory: makes each socket from an addrinfo tuple (e.g. to set keep-alive
            options); the connector connects it.
        ssl_shutdown_timeout: seconds to wait for the server's TLS close_notify on close.
        dns_cache_size: most names the DNS cache holds (a ketch extension).
        **pool: :class:`BaseConnector`'s keywords (keepalive_timeout, force_close, limit,
            limit_per_host, enable_cleanup_closed, loop, timeout_ceil_threshold, clock).

    Raises:
        ValueError: contradictory TLS arguments or invalid values.
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        *,
        ssl: SSLSetting = True,
        verify_ssl: bool = True,
        fingerprint: bytes | None = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: socket.AddressFamily | int = 0,
        ssl_context: _ssl.SSLContext | None = None,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        socket_factory: SocketFactory | None = None,
        ssl_shutdown_timeout: float | None = 0.1,
        dns_cache_size: int = 1024,
        **pool: Unpack[PoolOptions],
    ) -> None:
        super().__init__(**pool)
        ssl = _legacy_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        if not isinstance(ssl, (bool, _ssl.SSLContext, Fingerprint)):
            raise ValueError(
                f"ssl should be True, False, an SSLContext or a Fingerprint, got {ssl!r}"
            )
        if ssl_shutdown_timeout is not None and ssl_shutdown_timeout <= 0:
            raise ValueError(f"ssl_shutdown_timeout must be > 0 or None, got {ssl_shutdown_timeout!r}")
        self._ssl = ssl
        self._family = socket.AddressFamily(family)
        self._local_addr = local_addr
        self._local_infos: list[AddrInfo] | None = None
        self._resolver_owner = resolver is None
        self._resolver: AbstractResolver = resolver if resolver is not None else DefaultResolver()
        self._use_dns_cache = use_dns_cache
        self._dns = DNSCache(self._resolver, ttl_dns_cache, dns_cache_size, self._clock)
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave
        self._socket_factory = socket_factory
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        self._factory = functools.partial(ConnectionProtocol, self._loop)

    @property
    def family(self) -> int:
        """The address family used (0: both)."""
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        """True when resolutions are cached."""
        return self._use_dns_cache

    @property
    def ssl(self) -> SSLSetting:
        """The default TLS setting."""
        return self._ssl

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget the cached addresses of one ``host``/``port``, or of every name.

        Raises:
            ValueError: only one of *host* and *port* was given.
        """
        self._dns.clear(host, port)

    async def _close_async_hook(self) -> None:
        await self._dns.close()
        if self._resolver_owner:
            await self._resolver.close()

    # -- connecting -------------------------------------------------------------------
    async def _create_connection(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> ConnectionProtocol:
        if key.proxy is not None:
            return await self._create_proxy_connection(key, traces, sock_connect)
        infos = await self._addr_infos(key.host, key.port, key, traces)
        async with peer_timeout(sock_connect, key):
            proto = await self._connect(infos, key, ClientConnectorError)
            if key.is_ssl:
                try:
                    await self._tls(proto, key, key.ssl, key.server_hostname or key.host, traces)
                except BaseException:
                    proto.close_transport()
                    raise
        return proto

    async def _create_proxy_connection(
        self, key: ConnectionKey, traces: Sequence[Trace], sock_connect: float | None
    ) -> ConnectionProtocol:
        assert key.proxy is not None
        proxy = URL(key.proxy)
        if proxy.scheme not in _PROXY_PORTS or not proxy.raw_host:
            raise ValueError(f"proxy must be an http:// or https:// URL with a host, got {key.proxy!r}")
        proxy_tls = proxy.scheme == "https"
        proxy_key = ConnectionKey(
            proxy.raw_host, proxy.port or _PROXY_PORTS[proxy.scheme], proxy_tls, key.ssl
        )
        infos = await self._addr_infos(proxy_key.host, proxy_key.port, proxy_key, traces)
        async with peer_timeout(sock_connect, key):
            proto = await self._connect(infos, proxy_key, ClientProxyConnectionError)
            try:
                if proxy_tls:
                    await self._tls(proto, proxy_key, key.ssl, proxy_key.host, traces)
                if key.is_ssl:
                    await open_tunnel(proto, key, proxy_key)
                    await self._tls(proto, key, key.ssl, key.server_hostname or key.host, traces)
            except BaseException:
                proto.close_transport()
                raise
        return proto

    async def _tls(
        self, proto: ConnectionProtocol, key: ConnectionKey, setting: SSLSetting,
        server_hostname: str, traces: Sequence[Trace],
    ) -> None:
        context, pin = resolve_ssl(setting, self._ssl)
        # A trailing dot is valid in DNS but not in a certificate name (RFC 6066 §3).
        hostname = server_hostname.rstrip(".")
        await start_tls(
            self._loop, proto, context, hostname, key, traces, pin, self._ssl_shutdown_timeout
        )

    async def _connect(
        self, infos: list[AddrInfo], key: ConnectionKey, error: type[ClientConnectorError]
    ) -> ConnectionProtocol:
        loop = self._loop
        try:
            local = await self._local_addr_infos() if self._local_addr is not None else None
            sock = await connect_first(
                loop, infos, delay=self._happy_eyeballs_delay, interleave=self._interleave,
                local_infos=local, factory=self._socket_factory,
            )
        except OSError as exc:
            raise error(key, exc) from exc
        try:
            # (asyncio's TCP transport turns on TCP_NODELAY itself.)
            _, proto = await loop.create_connection(self._factory, sock=sock)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, OSError):
                raise error(key, exc) from exc
            raise
        proto.sock = sock
        return proto

    async def _addr_infos(
        self, host: str, port: int, key: ConnectionKey, traces: Sequence[Trace]
    ) -> list[AddrInfo]:
        family = _ip_family(host)
        if family:
            address: tuple[object, ...] = (host, port) if family == socket.AF_INET else (host, port, 0, 0)
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
        try:
            if self._use_dns_cache:
                hosts = await self._dns.resolve(host, port, self._family, traces)
            else:
                hosts = await self._resolve_uncached(host, port, traces)
        except OSError as exc:
            raise ClientConnectorDNSError(key, exc) from exc
        return [_to_addr_info(h) for h in hosts]

    async def _resolve_uncached(
        self, host: str, port: int, traces: Sequence[Trace]
    ) -> list[ResolveResult]:
        if traces:
            for trace in traces:
                await trace.send_dns_resolvehost_start(host)
        hosts = await self._resolver.resolve(host, port, family=self._family)
        if traces:
            for trace in traces:
                await trace.send_dns_resolvehost_end(host)
        return hosts

    async def _local_addr_infos(self) -> list[AddrInfo]:
        if self._local_infos is None:
            assert self._local_addr is not None
            host, port = self._local_addr
            infos = await self._loop.getaddrinfo(
                host, port, family=self._family, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            self._local_infos = [(f, t, p, c, tuple(a)) for f, t, p, c, a in infos]
        return self._local_infos


def _to_addr_info(h: ResolveResult) -> AddrInfo:
    family = h["family"]
    address: tuple[object, ...]
    if family == socket.AF_INET6:
        address = (h["host"], h["port"], 0, 0)
    else:
        address = (h["host"], h["port"])
    return (family, socket.SOCK_STREAM, h["proto"] or socket.IPPROTO_TCP, "", address)
