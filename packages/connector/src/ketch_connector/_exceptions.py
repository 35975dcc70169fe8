"""The root of aiohttp's documented client exception tree, and its connection branch.

    ClientError
    └── ClientConnectionError
        ├── ClientOSError (also OSError)
        │   └── ClientConnectorError            host, port, ssl, os_error
        │       ├── ClientConnectorDNSError
        │       └── ClientProxyConnectionError
        └── ServerConnectionError
            └── ServerDisconnectedError

The client package adds the response, payload and redirect branches and re-exports all.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClientError",
    "ClientConnectionError",
    "ClientOSError",
    "ClientConnectorError",
    "ClientConnectorDNSError",
    "ClientProxyConnectionError",
    "ServerConnectionError",
    "ServerDisconnectedError",
]


class ClientError(Exception):
    """Base class of every client error."""


class ClientConnectionError(ClientError):
    """A problem with the connection: connecting, or the connection failing."""


class ClientOSError(ClientConnectionError, OSError):
    """An OSError while connecting or on an open connection."""


class ClientConnectorError(ClientOSError):
    """Connecting to the host failed.

    Attributes:
        host, port, ssl: what was being connected to.
        os_error: the underlying OSError.
    """

    def __init__(self, host: str, port: int, ssl: Any, os_error: OSError) -> None:
        self._host = host
        self._port = port
        self._ssl = ssl
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (host, port, ssl, os_error)

    @property
    def os_error(self) -> OSError:
        return self._os_error

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def ssl(self) -> Any:
        return self._ssl

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self._host}:{self._port} ssl:{self._ssl!r} "
            f"[{self._os_error.strerror or self._os_error}]"
        )


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class ServerConnectionError(ClientConnectionError):
    """The server broke the connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before a complete response.

    Attributes:
        message: what was happening when it closed.
    """

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        super().__init__(message)
        self.message = message
