"""ketch: an asyncio HTTP client with aiohttp's documented client API.

``import ketch as aiohttp`` runs code written for aiohttp's ``ClientSession``.
"""

from ketch_connector import BaseConnector, TCPConnector

from ._auth import BasicAuth
from ._digest import DigestAuthMiddleware
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
from ._formdata import FormData
from ._multipart import MultipartWriter
from ._payload import (
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
)
from ._response import ClientResponse, RequestInfo
from ._session import ClientSession, request
from ._streams import StreamReader
from ._version import __version__

__all__ = [
    "AsyncIterablePayload",
    "BaseConnector",
    "BasicAuth",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
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
    "DigestAuthMiddleware",
    "FormData",
    "IOBasePayload",
    "InvalidURL",
    "JsonPayload",
    "MultipartWriter",
    "Payload",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "StreamReader",
    "StringIOPayload",
    "StringPayload",
    "TCPConnector",
    "TextIOPayload",
    "get_payload",
    "request",
    "__version__",
]
