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
from ._pipe import NamedPipeConnector
from ._pool import BaseConnector
from ._resolver import (
    AbstractResolver,
    AsyncResolver,
    DefaultResolver,
    ResolveResult,
    ThreadedResolver,
)
from ._tcp import TCPConnector
from ._tls import Fingerprint
from ._unix import UnixConnector
from ._version import __version__

__all__ = [
    "AbstractResolver",
    "AsyncResolver",
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
    "DefaultResolver",
    "Fingerprint",
    "NamedPipeConnector",
    "PoolTimeoutError",
    "Receiver",
    "ResolveResult",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TCPConnector",
    "ThreadedResolver",
    "UnixClientConnectorError",
    "UnixConnector",
    "__version__",
]
