from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ConnectionKey"]


@dataclass(frozen=True, slots=True)
class ConnectionKey:
    """Everything that makes one pooled connection different from another.

    Two requests share a pooled connection only when their keys are equal, so a connection
    is never reused across TLS settings or proxies.

    Attributes:
        host, port: the origin (or, for a Unix socket, a label: the path is the connector's).
        is_ssl: TLS to the origin.
        ssl: the TLS setting: True (verify), False (no verification), an SSLContext or a
            Fingerprint.
        server_hostname: the SNI / verification name override, or None.
        proxy: the proxy URL as a string, or None.
        proxy_auth: the proxy's ``Proxy-Authorization`` value, or None.
    """

    host: str
    port: int
    is_ssl: bool = False
    ssl: Any = True
    server_hostname: str | None = None
    proxy: str | None = None
    proxy_auth: str | None = None
