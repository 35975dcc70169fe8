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
    ClientResponseError,
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
    "InvalidUrlClientError",
    "RedirectClientError",
    "NonHttpUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlRedirectClientError",
    "TooManyRedirects",
]


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
        """The offending URL, as given (a ``yarl.URL`` or a string)."""
        return self._url

    @property
    def description(self) -> str | None:
        """What was wrong with the URL, or None when only the URL was given."""
        return self._description

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """The request URL is not usable (no host, cannot be parsed)."""

    __module__ = "ketch"


class RedirectClientError(ClientError):
    """A redirect could not be followed."""

    __module__ = "ketch"


class NonHttpUrlClientError(ClientError):
    """The request URL's scheme is not http or https."""

    __module__ = "ketch"


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect's Location is not a usable URL."""

    __module__ = "ketch"


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect's Location points to a scheme other than http or https."""

    __module__ = "ketch"


class TooManyRedirects(ClientResponseError):
    """The request was redirected ``max_redirects`` times; ``history`` holds the hops."""

    __module__ = "ketch"
