"""The ``NO_PROXY`` matcher: which hosts bypass a proxy taken from the environment.

There is no standard for ``NO_PROXY``; this matcher accepts the union of what curl, the
standard library (``urllib.request.proxy_bypass_environment``) and Go's
``golang.org/x/net/http/httpproxy`` accept, so one value works for all of them:

========================  ===============================================================
entry                     matches
========================  ===============================================================
``*``                     every host
``example.com``           ``example.com`` and every subdomain (``a.example.com``)
``.example.com``          the same (leading dots are ignored, as the standard library does)
``*.example.com``         the same (a leading ``*.`` is ignored, as Go does)
``127.0.0.1``, ``::1``    that IP address (``[::1]`` with brackets too)
``10.0.0.0/8``            every IP address in the range (IPv4 or IPv6 CIDR notation)
``host:port``             the host as above, on that port only (``[::1]:8080`` for IPv6)
========================  ===============================================================

Entries are separated by commas (and may be surrounded by white space); case does not
matter. Host names are never resolved: an IP or CIDR entry matches only URLs whose host *is*
an IP address. An entry that is none of the forms above is compared as a host name, so a
typo makes that one entry match nothing rather than failing every request.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from yarl import URL

__all__ = ["NoProxy"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class NoProxy:
    """A parsed ``NO_PROXY`` value.

    Build it once with :meth:`parse`; :meth:`matches` is then cheap per request.

    Attributes:
        everything: the value was (or contained) ``*``.
        domains: ``(name, port)`` pairs: *name* and its subdomains; *port* None for any port.
        networks: ``(network, port)`` pairs for IP address and CIDR entries.
    """

    everything: bool = False
    domains: tuple[tuple[str, int | None], ...] = ()
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()

    @classmethod
    def parse(cls, value: str) -> NoProxy:
        """Parse a ``NO_PROXY`` value.

        Args:
            value: comma-separated entries (see the module documentation).

        Returns:
            The matcher; an empty value matches nothing.
        """
        domains: list[tuple[str, int | None]] = []
        networks: list[tuple[IPNetwork, int | None]] = []
        for raw in value.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                return cls(everything=True)
            network = _as_network(entry)
            if network is not None:
                networks.append((network, None))
                continue
            host, port = _split_port(entry)
            network = _as_network(host)
            if network is not None:
                networks.append((network, port))
                continue
            name = _normalize_name(host)
            if name:
                domains.append((name, port))
        return cls(domains=tuple(domains), networks=tuple(networks))

    def matches(self, host: str, port: int | None) -> bool:
        """Whether a request to *host* on *port* bypasses the proxy.

        Args:
            host: the URL's host as yarl's ``raw_host`` gives it (IDNA-encoded, lower case,
                IPv6 without brackets).
            port: the URL's port (explicit or the scheme's default), or None if unknown.

        Returns:
            True when an entry covers this host (and port, for entries naming one).
        """
        if self.everything:
            return True
        address = _as_address(host)
        if address is not None:
            for network, want in self.networks:
                if (want is None or want == port) and address in network:
                    return True
            return False
        name = host.lower().rstrip(".")
        for domain, want in self.domains:
            if (want is None or want == port) and (
                name == domain or name.endswith("." + domain)
            ):
                return True
        return False


def _as_network(text: str) -> IPNetwork | None:
    """*text* as an IP network (a bare address is a one-address network), or None."""
    if text.startswith("[") and "]" in text:
        inner, _, rest = text[1:].partition("]")
        if rest and not rest.startswith("/"):
            return None
        text = inner + rest
    if not text or not (text[0].isdigit() or ":" in text):
        return None
    try:
        # strict=False: "10.1.2.3/8" means the /8 around it, as curl reads it.
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _as_address(host: str) -> IPAddress | None:
    if not host or not (host[0].isdigit() or ":" in host):
        return None
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, int | None]:
    """Split ``host:port`` / ``[v6]:port``; an entry without a valid port keeps port None."""
    if entry.startswith("["):
        inner, _, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            return inner, int(rest[1:])
        return inner if not rest else entry, None
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return entry, None


def _normalize_name(name: str) -> str:
    """A host-name entry as yarl spells hosts: no ``*.``/leading dots, IDNA-encoded."""
    if name.startswith("*."):
        name = name[2:]
    name = name.lstrip(".").rstrip(".")
    if name and not name.isascii():
        try:
            # Compare like with like: URLs give us yarl's IDNA-encoded raw_host.
            name = URL.build(scheme="http", host=name).raw_host or name
        except ValueError:
            pass
    return name
