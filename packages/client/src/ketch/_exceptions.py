"""aiohttp's documented client exception tree.

The connection branch and the root come from ketch_connector; this module adds the
response, payload and URL branches and is where users import all of them from.

    ClientError
    ├── ClientConnectionError ... (see ketch_connector)
    ├── ClientResponseError           status, message, headers, request_info, history
    │   └── ContentTypeError
    ├── ClientPayloadError
    └── InvalidURL (also ValueError)
"""

from __future__ import annotations

from typing import Any

from ketch_connector import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientProxyConnectionError,
    ServerConnectionError,
    ServerDisconnectedError,
)

__all__ = [
    "ClientError",
    "ClientConnectionError",
    "ClientOSError",
    "ClientConnectorError",
    "ClientConnectorDNSError",
    "ClientProxyConnectionError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ClientResponseError",
    "ContentTypeError",
    "ClientPayloadError",
    "InvalidURL",
]


class ClientResponseError(ClientError):
    """A response that is an error (``raise_for_status``) or could not be handled.

    Attributes:
        request_info: the request that got this response.
        history: earlier responses of the same request (redirects).
        status: the HTTP status code.
        message: the reason phrase or a description.
        headers: the response headers, or None.
    """

    def __init__(
        self,
        request_info: Any,
        history: tuple[Any, ...],
        *,
        status: int | None = None,
        message: str = "",
        headers: Any = None,
    ) -> None:
        self.request_info = request_info
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        url = getattr(self.request_info, "real_url", "")
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.request_info!r}, {self.history!r}, status={self.status}, message={self.message!r})"


class ContentTypeError(ClientResponseError):
    """``json()`` found a Content-Type that is not JSON."""


class ClientPayloadError(ClientError):
    """The response body could not be read completely or decoded."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be used for a request (no host, unsupported scheme...).

    Attributes:
        url: the offending URL.
        description: what was wrong with it.
    """

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        return self._url

    @property
    def description(self) -> str | None:
        return self._description

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)
