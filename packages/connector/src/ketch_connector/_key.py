"""The pool key: everything that makes one connection different from another."""

from __future__ import annotations

from dataclasses import dataclass, field
from ._tls import SSLSetting

__all__ = ["ConnectionKey"]


@dataclass(frozen=True, slots=True)
class ConnectionKey:
    """Everything that makes one pooled connection different from another.

    Two requests share a pooled connection only when their keys are equal, so a connection
    is never reused across TLS settings or proxies. The key is built per request, so it is
    a plain slotted dataclass: equality and hashing are the generated tuple comparisons.

    Attributes:
        host: the origin host (a name or an IP literal without brackets).
        port: the origin port.
        is_ssl: TLS to the origin.
        ssl: the TLS setting: True (the connector's default, verifying with the system trust
            store), False (no verification), an ``ssl.SSLContext`` or a ``Fingerprint``.
        server_hostname: the SNI / verification name override, or None (use *host*).
        proxy: the proxy URL as a string (``http://`` or ``https://``), or None.
        proxy_auth: the proxy's ``Proxy-Authorization`` header value, or None.
        proxy_headers: extra headers for the ``CONNECT`` request, or None.
    """

    __module__ = "ketch_connector"

    host: str
    port: int
    is_ssl: bool = False
    ssl: SSLSetting = True
    server_hostname: str | None = None
    proxy: str | None = None
    proxy_auth: str | None = None
    proxy_headers: tuple[tuple[str, str], ...] | None = None
    _hash: int = field(init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # Keys are looked up several times per request; hash the eight fields once.
        try:
            return self._hash
        except AttributeError:
            h = hash((
                self.host, self.port, self.is_ssl, self.ssl, self.server_hostname,
                self.proxy, self.proxy_auth, self.proxy_headers,
            ))
            object.__setattr__(self, "_hash", h)
            return h

    # The cached hash must not travel: string hashes differ between processes.
    def __getstate__(self) -> tuple[object, ...]:
        return (
            self.host, self.port, self.is_ssl, self.ssl, self.server_hostname,
            self.proxy, self.proxy_auth, self.proxy_headers,
        )

    def __setstate__(self, state: tuple[object, ...]) -> None:
        for name, value in zip(_FIELDS, state):
            object.__setattr__(self, name, value)


_FIELDS = (
    "host", "port", "is_ssl", "ssl", "server_hostname", "proxy", "proxy_auth", "proxy_headers",
)
