"""ketch_connector: asyncio connections, pooled, limited and ready to use.

Usable without the ketch client: acquire a :class:`Connection` with
``await connector.connect(ConnectionKey(host, port))``, speak any protocol over it, and
give it back with ``release()`` (or ``close()`` when it must not be reused).
"""

from ._connection import Connection, ConnectionProtocol, Receiver
from ._exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientProxyConnectionError,
    ServerConnectionError,
    ServerDisconnectedError,
)
from ._key import ConnectionKey
from ._pool import BaseConnector, TCPConnector
from ._version import __version__

__all__ = [
    "BaseConnector",
    "ClientConnectionError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientError",
    "ClientOSError",
    "ClientProxyConnectionError",
    "Connection",
    "ConnectionKey",
    "ConnectionProtocol",
    "Receiver",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "TCPConnector",
    "__version__",
]
