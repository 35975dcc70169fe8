"""ketch_connector: asyncio connections, pooled, limited and ready to use.

Usable without the ketch client: acquire a :class:`Connection` with
``await connector.connect(ConnectionKey(host, port))``, speak any protocol over it, and
give it back with ``release()`` (or ``close()`` when it must not be reused).
"""

from ._connection import Connection, ConnectionProtocol, Receiver
from ._exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    PoolTimeoutError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    UnixClientConnectorError,
)
from ._key import ConnectionKey
from ._pool import BaseConnector
from ._tcp import TCPConnector
from ._version import __version__

__all__ = [
    "BaseConnector",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientProxyConnectionError",
    "ClientResponseError",
    "ClientSSLError",
    "Connection",
    "ConnectionKey",
    "ConnectionProtocol",
    "ConnectionTimeoutError",
    "PoolTimeoutError",
    "Receiver",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TCPConnector",
    "UnixClientConnectorError",
    "__version__",
]
