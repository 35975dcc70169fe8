"""The pool key: everything that makes one connection different from another."""

from __future__ import annotations

from dataclasses import dataclass
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
