"""The root of aiohttp's documented client exception tree and the branches this layer raises.

    ClientError
    ├── ClientConnectionError
    │   ├── ClientOSError (also OSError)
    │   │   └── ClientConnectorError                 host, port, ssl, os_error
    │   │       ├── ClientConnectorDNSError
    │   │       ├── ClientProxyConnectionError
    │   │       ├── UnixClientConnectorError         path
    │   │       └── ClientSSLError
    │   │           ├── ClientConnectorSSLError      (also ssl.SSLError)
    │   │           └── ClientConnectorCertificateError  certificate_error (also ssl.CertificateError)
    │   ├── ClientConnectionResetError (also ConnectionResetError)
    │   └── ServerConnectionError
    │       ├── ServerDisconnectedError              message
    │       ├── ServerTimeoutError (also asyncio.TimeoutError)
    │       │   ├── ConnectionTimeoutError
    │       │   │   └── PoolTimeoutError             limit, value (ketch: waited for a pool slot)
    │       │   └── SocketTimeoutError
    │       └── ServerFingerprintMismatch            expected, got, host, port
    └── ClientResponseError                          request_info, history, status, message, headers
        └── ClientHttpProxyError

The client package adds the rest of the response, payload and URL branches and re-exports
everything from here.
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from typing import Any, Protocol

__all__ = [
    "ClientError",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientOSError",
    "ClientConnectorError",
    "ClientConnectorDNSError",
    "ClientProxyConnectionError",
    "UnixClientConnectorError",
    "ClientSSLError",
    "ClientConnectorSSLError",
    "ClientConnectorCertificateError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "ConnectionTimeoutError",
    "PoolTimeoutError",
    "SocketTimeoutError",
    "ServerFingerprintMismatch",
    "ClientResponseError",
    "ClientHttpProxyError",
]


class _KeyLike(Protocol):
    """What the connector errors need from a connection key (aiohttp passes its own key)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int | None: ...
    @property
    def ssl(self) -> Any: ...


class ClientError(Exception):
    """Base class of every client error."""

    __module__ = "ketch_connector"


class ClientConnectionError(ClientError):
    """A problem with the connection: connecting, or the connection failing."""

    __module__ = "ketch_connector"


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while in use."""

    __module__ = "ketch_connector"


class ClientOSError(ClientConnectionError, OSError):
    """An OSError while connecting or on an open connection."""

    __module__ = "ketch_connector"


class ClientConnectorError(ClientOSError):
    """Connecting to the host failed.

    Args:
        connection_key: what was being connected to (anything with host, port and ssl).
        os_error: the underlying error.

    Attributes:
        host, port, ssl: taken from the connection key.
        os_error: the underlying OSError.
    """

    __module__ = "ketch_connector"

    def __init__(self, connection_key: _KeyLike, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        """The OSError that made connecting fail."""
        return self._os_error

    @property
    def host(self) -> str:
        """The host that could not be connected to, from the connection key."""
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        """The port that could not be connected to, from the connection key."""
        return self._conn_key.port

    @property
    def ssl(self) -> Any:
        """The connection key's TLS setting (``True``, ``False``, an SSLContext or a
        Fingerprint), as aiohttp reports it."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        reason = self._os_error.strerror or str(self._os_error) or type(self._os_error).__name__
        return f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl!r} [{reason}]"

    # OSError.__reduce__ would rebuild from (errno, strerror); rebuild from our own args.
    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""

    __module__ = "ketch_connector"


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached (or the tunnel through it could not be set up)."""

    __module__ = "ketch_connector"


class UnixClientConnectorError(ClientConnectorError):
    """Connecting to a Unix socket failed.

    Attributes:
        path: the socket path.
    """

    __module__ = "ketch_connector"

    def __init__(self, path: str, connection_key: _KeyLike, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)
        self.args = (path, connection_key, os_error)

    @property
    def path(self) -> str:
        """The Unix socket path that could not be connected to."""
        return self._path

    def __str__(self) -> str:
        reason = self.os_error.strerror or str(self.os_error) or type(self.os_error).__name__
        return f"Cannot connect to unix socket {self._path} ssl:{self.ssl!r} [{reason}]"


class ClientSSLError(ClientConnectorError):
    """Base class of the TLS errors raised while connecting."""

    __module__ = "ketch_connector"


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed (for a reason other than the certificate check)."""

    __module__ = "ketch_connector"


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The server's certificate failed verification (unknown CA, expired, wrong host).

    Args:
        connection_key: what was being connected to.
        certificate_error: the ``ssl.CertificateError`` raised by the handshake.
    """

    __module__ = "ketch_connector"

    def __init__(self, connection_key: _KeyLike, certificate_error: Exception) -> None:
        self._conn_key = connection_key
        self._certificate_error = certificate_error
        os_error = certificate_error if isinstance(certificate_error, OSError) else OSError()
        self._os_error = os_error
        OSError.__init__(self, os_error.errno, os_error.strerror)
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        return self._certificate_error

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl!r} "
            f"[{type(self._certificate_error).__name__}: {self._certificate_error.args}]"
        )


class ServerConnectionError(ClientConnectionError):
    """The server broke the connection."""

    __module__ = "ketch_connector"


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before a complete response.

    Attributes:
        message: what was happening when it closed.
    """

    __module__ = "ketch_connector"

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        super().__init__(message)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """A timeout on the connection: connecting, or reading from it."""

    __module__ = "ketch_connector"


class ConnectionTimeoutError(ServerTimeoutError):
    """Getting a connection took longer than allowed (``connect`` / ``sock_connect``)."""

    __module__ = "ketch_connector"


class PoolTimeoutError(ConnectionTimeoutError):
    """The connect timeout expired while waiting for a free slot in the pool.

    A ketch extension: a :class:`ConnectionTimeoutError`, so aiohttp code catches it.

    Attributes:
        limit: which limit was full: ``"limit"`` or ``"limit_per_host"``.
        value: the value of that limit.
    """

    __module__ = "ketch_connector"

    def __init__(self, limit: str, value: int, timeout: float) -> None:
        self.limit = limit
        self.value = value
        self.timeout = timeout
        super().__init__(
            f"timed out after {timeout} s waiting for a free connection slot "
            f"({limit}={value} connections in use)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit, self.value, self.timeout))


class SocketTimeoutError(ServerTimeoutError):
    """Reading from the connection took longer than ``sock_read``."""

    __module__ = "ketch_connector"


class ServerFingerprintMismatch(ServerConnectionError):
    """The server's certificate does not match the pinned fingerprint.

    Attributes:
        expected: the pinned digest.
        got: the digest of the certificate the server presented.
        host, port: the server.
    """

    __module__ = "ketch_connector"

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        super().__init__(expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} expected={self.expected!r} got={self.got!r} "
            f"host={self.host!r} port={self.port!r}>"
        )

    __str__ = __repr__


class ClientResponseError(ClientError):
    """A response that is an error (``raise_for_status``) or could not be handled.

    Args:
        request_info: the request that got this response.
        history: earlier responses of the same request (redirects).
        code: deprecated spelling of *status*, kept because aiohttp 3.x still accepts it.
        status: the HTTP status code.
        message: the reason phrase or a description.
        headers: the response headers, or None.

    Raises:
        ValueError: both *code* and *status* were given.
    """

    __module__ = "ketch_connector"

    def __init__(
        self,
        request_info: Any,
        history: tuple[Any, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: Any = None,
    ) -> None:
        if code is not None:
            if status is not None:
                raise ValueError(
                    f"both code={code!r} and status={status!r} were given; "
                    "code is deprecated, use status alone"
                )
            warnings.warn(
                "ClientResponseError(code=...) is deprecated, use status=...",
                DeprecationWarning,
                stacklevel=2,
            )
            status = code
        self.request_info = request_info
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    @property
    def code(self) -> int:
        """Deprecated alias of :attr:`status` (aiohttp 3.x); warns with DeprecationWarning."""
        warnings.warn(
            "ClientResponseError.code is deprecated, use .status", DeprecationWarning, stacklevel=2
        )
        return self.status

    @code.setter
    def code(self, value: int) -> None:
        warnings.warn(
            "ClientResponseError.code is deprecated, use .status", DeprecationWarning, stacklevel=2
        )
        self.status = value

    def __str__(self) -> str:
        url = getattr(self.request_info, "real_url", "")
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.request_info!r}, {self.history!r}, "
            f"status={self.status}, message={self.message!r})"
        )


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered the tunnel request (``CONNECT``) with an error status."""

    __module__ = "ketch_connector"
