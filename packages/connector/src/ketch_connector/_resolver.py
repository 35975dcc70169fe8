"""Resolvers under aiohttp's documented ``AbstractResolver`` interface.

``ThreadedResolver`` runs the system's ``getaddrinfo`` off the event loop (the default);
``AsyncResolver`` asks DNS servers directly through aiodns (an optional extra:
``pip install 'ketch-connector[aiodns]'``), e.g. ``AsyncResolver(nameservers=["8.8.8.8"])``.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from typing import Any, TypedDict

__all__ = [
    "AbstractResolver",
    "AsyncResolver",
    "DefaultResolver",
    "ResolveResult",
    "ThreadedResolver",
]

# Only addresses of families this host can use (RFC 3493 §6.1, AI_ADDRCONFIG).
_FLAGS = socket.AI_ADDRCONFIG
_NUMERIC = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


class ResolveResult(TypedDict):
    """One resolved address, as aiohttp's resolvers return it.

    Attributes:
        hostname: the name that was resolved.
        host: the address (an IPv6 link-local one carries its ``%scope``).
        port: the port.
        family: ``socket.AF_INET`` or ``socket.AF_INET6``.
        proto: the protocol number (0 or ``IPPROTO_TCP``).
        flags: ``getaddrinfo`` flags that produced it (numeric host/service).
    """

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """The interface of a resolver given to ``TCPConnector(resolver=...)``."""

    __module__ = "ketch_connector"

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of *host*.

        Args:
            host: the name to resolve.
            port: the port to put in the results.
            family: ``AF_INET``, ``AF_INET6`` or ``AF_UNSPEC`` (0) for both.

        Raises:
            OSError: the name could not be resolved.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the resolver's resources."""


class ThreadedResolver(AbstractResolver):
    """Resolves with the system's ``getaddrinfo`` in the event loop's thread pool.

    Args:
        loop: accepted for compatibility; the running loop is used.
    """

    __module__ = "ketch_connector"

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve *host* with ``getaddrinfo`` run in the loop's default executor.

        Args:
            host: the name (or address literal) to resolve.
            port: the port to put in the results.
            family: ``AF_INET``, ``AF_INET6`` or ``AF_UNSPEC`` (0) for both.

        Returns:
            One ResolveResult per usable address, in the order getaddrinfo gave them; an IPv6
            link-local address carries its scope id (``fe80::1%eth0``).

        Raises:
            OSError: the lookup failed or gave no usable address.
        """
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=_FLAGS
        )
        hosts: list[ResolveResult] = []
        for fam, _, proto, _, address in infos:
            if fam == socket.AF_INET6:
                if len(address) < 3:
                    continue  # IPv6 not supported by this Python build
                if address[3]:
                    # A link-local address needs its scope id (RFC 4007 §11).
                    resolved, _port = await loop.getnameinfo(address, _NUMERIC)
                    hosts.append(_result(host, resolved, port, fam, proto))
                    continue
            hosts.append(_result(host, str(address[0]), port, fam, proto))
        if not hosts:
            raise OSError(None, f"DNS lookup of {host!r} returned no usable address")
        return hosts

    async def close(self) -> None:
        """Nothing to release: the loop owns the thread pool."""


def _result(hostname: str, host: str, port: int, family: int, proto: int) -> ResolveResult:
    return {
        "hostname": hostname, "host": host, "port": port, "family": family,
        "proto": proto, "flags": _NUMERIC,
    }


class AsyncResolver(AbstractResolver):
    """Resolves by asking DNS servers directly, with aiodns (c-ares).

    Args:
        *args, **kwargs: passed to ``aiodns.DNSResolver``; e.g. ``nameservers=["8.8.8.8"]``
            (a server on another port is written ``"127.0.0.1:5353"``), ``timeout=``,
            ``tries=``.

    Raises:
        RuntimeError: aiodns is not installed.
    """

    __module__ = "ketch_connector"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            import aiodns
        except ImportError as exc:  # pragma: no cover - the test env installs the extra
            raise RuntimeError(
                "AsyncResolver needs the aiodns package: "
                "pip install 'ketch-connector[aiodns]' (or use ThreadedResolver)"
            ) from exc
        self._aiodns = aiodns
        self._resolver = aiodns.DNSResolver(*args, **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve *host* by querying the DNS servers with aiodns.

        Args:
            host: the name (or address literal) to resolve.
            port: the port to put in the results.
            family: ``AF_INET``, ``AF_INET6`` or ``AF_UNSPEC`` (0) for both.

        Returns:
            One ResolveResult per address in the answer; an IPv6 link-local address carries
            its scope id.

        Raises:
            OSError: the query failed (the message carries c-ares' reason and the host) or the
                answer held no address.
        """
        try:
            resp = await self._resolver.getaddrinfo(
                host, port=port, type=socket.SOCK_STREAM, family=family, flags=_FLAGS
            )
        except self._aiodns.error.DNSError as exc:
            msg = str(exc.args[1]) if len(exc.args) > 1 else "DNS lookup failed"
            raise OSError(None, f"{msg} ({host!r})") from exc
        hosts: list[ResolveResult] = []
        for node in resp.nodes:
            address: tuple[Any, ...] = node.addr
            fam = node.family
            addr_host = address[0]
            if isinstance(addr_host, bytes):
                addr_host = addr_host.decode("ascii")
            if fam == socket.AF_INET6 and len(address) > 3 and address[3]:
                # A link-local address needs its scope id (RFC 4007 §11).
                info = await self._resolver.getnameinfo((addr_host, port, 0, address[3]), _NUMERIC)
                addr_host = info.node
            hosts.append(_result(host, str(addr_host), port, fam, node.protocol))
        if not hosts:
            raise OSError(None, f"DNS lookup of {host!r} returned no address")
        return hosts

    async def close(self) -> None:
        """Close the c-ares channel (cancels outstanding queries)."""
        await self._resolver.close()


DefaultResolver = ThreadedResolver
