"""ketch: an asyncio HTTP client with aiohttp's documented client API.

``import ketch as aiohttp`` runs code written for aiohttp's ``ClientSession``.
"""

from ketch_connector import BaseConnector, TCPConnector

from ._exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ContentTypeError,
    InvalidURL,
    ServerConnectionError,
    ServerDisconnectedError,
)
from ._response import ClientResponse, RequestInfo
from ._session import ClientSession, request
from ._streams import StreamReader
from ._version import __version__

__all__ = [
    "BaseConnector",
    "ClientConnectionError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponse",
    "ClientResponseError",
    "ClientSession",
    "ContentTypeError",
    "InvalidURL",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "StreamReader",
    "TCPConnector",
    "__version__",
    "request",
]
