"""The exception tree as aiohttp documents it (builtin bases kept) and the public surface."""

from __future__ import annotations

import asyncio
import pickle
import ssl

import pytest

import ketch_connector as kc
from ketch_connector import ConnectionKey

KEY = ConnectionKey("example.test", 443, True)


@pytest.mark.parametrize(
    "cls, bases",
    [
        (kc.ClientConnectionError, (kc.ClientError,)),
        (kc.ClientOSError, (kc.ClientConnectionError, OSError)),
        (kc.ClientConnectorError, (kc.ClientOSError,)),
        (kc.ClientConnectorDNSError, (kc.ClientConnectorError,)),
        (kc.ClientProxyConnectionError, (kc.ClientConnectorError,)),
        (kc.UnixClientConnectorError, (kc.ClientConnectorError,)),
        (kc.ClientSSLError, (kc.ClientConnectorError,)),
        (kc.ClientConnectorSSLError, (kc.ClientSSLError, ssl.SSLError)),
        (kc.ClientConnectorCertificateError, (kc.ClientSSLError, ssl.CertificateError)),
        (kc.ClientConnectionResetError, (kc.ClientConnectionError, ConnectionResetError)),
        (kc.ServerDisconnectedError, (kc.ServerConnectionError,)),
        (kc.ServerTimeoutError, (kc.ServerConnectionError, asyncio.TimeoutError)),
        (kc.ConnectionTimeoutError, (kc.ServerTimeoutError,)),
        (kc.SocketTimeoutError, (kc.ServerTimeoutError,)),
        (kc.PoolTimeoutError, (kc.ConnectionTimeoutError,)),
        (kc.ServerFingerprintMismatch, (kc.ServerConnectionError,)),
        (kc.ClientResponseError, (kc.ClientError,)),
        (kc.ClientHttpProxyError, (kc.ClientResponseError,)),
    ],
)
def test_tree(cls: type, bases: tuple[type, ...]) -> None:
    for base in bases:
        assert issubclass(cls, base), (cls, base)
    assert cls.__module__ == "ketch_connector"


def test_connector_error_attributes_and_pickle() -> None:
    err = kc.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connection refused"))
    assert (err.host, err.port, err.ssl) == ("example.test", 443, True)
    assert err.errno == 111 and isinstance(err.os_error, ConnectionRefusedError)
    assert str(err) == "Cannot connect to host example.test:443 ssl:True [Connection refused]"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is kc.ClientConnectorError and again.host == "example.test"


def test_certificate_error_keeps_the_original() -> None:
    original = ssl.SSLCertVerificationError(1, "certificate verify failed: Hostname mismatch")
    err = kc.ClientConnectorCertificateError(KEY, original)
    assert err.certificate_error is original
    assert isinstance(err, ssl.CertificateError) and isinstance(err, kc.ClientSSLError)
    assert "Hostname mismatch" in str(err)


def test_fingerprint_mismatch_and_pool_timeout() -> None:
    err = kc.ServerFingerprintMismatch(b"a" * 32, b"b" * 32, "h.test", 443)
    assert (err.expected, err.got, err.host, err.port) == (b"a" * 32, b"b" * 32, "h.test", 443)
    t = kc.PoolTimeoutError("limit_per_host", 4, 2.5)
    assert "2.5 s waiting for a free connection slot (limit_per_host=4" in str(t)
    t2 = pickle.loads(pickle.dumps(t))
    assert (t2.limit, t2.value, t2.timeout) == ("limit_per_host", 4, 2.5)


def test_client_response_error() -> None:
    err = kc.ClientHttpProxyError("info", (), status=407, message="Auth", headers={"a": "b"})
    assert (err.status, err.message, err.headers, err.request_info, err.history) == (
        407, "Auth", {"a": "b"}, "info", ()
    )
    again = pickle.loads(pickle.dumps(err))
    assert (again.status, again.message) == (407, "Auth")


def test_client_response_error_deprecated_code() -> None:
    # aiohttp 3.x: code= and .code still work, with a DeprecationWarning pointing at status.
    with pytest.warns(DeprecationWarning, match="use status"):
        err = kc.ClientResponseError("info", (), code=404, message="Not Found")
    assert err.status == 404
    with pytest.warns(DeprecationWarning, match="use .status"):
        assert err.code == 404
    with pytest.warns(DeprecationWarning, match="use .status"):
        err.code = 410
    assert err.status == 410
    with pytest.raises(ValueError, match="code=404 and status=400"):
        kc.ClientResponseError("info", (), code=404, status=400)


def test_public_surface() -> None:
    assert sorted(kc.__all__) == sorted([
        "AbstractResolver", "AsyncResolver", "BaseConnector", "ClientConnectionError",
        "ClientConnectionResetError", "ClientConnectorCertificateError",
        "ClientConnectorDNSError", "ClientConnectorError", "ClientConnectorSSLError",
        "ClientError", "ClientHttpProxyError", "ClientOSError", "ClientProxyConnectionError",
        "ClientResponseError", "ClientSSLError", "Connection", "ConnectionKey",
        "ConnectionProtocol", "ConnectionTimeoutError", "DefaultResolver", "Fingerprint",
        "NamedPipeConnector", "PoolTimeoutError", "Receiver", "ResolveResult",
        "ServerConnectionError", "ServerDisconnectedError", "ServerFingerprintMismatch",
        "ServerTimeoutError", "SocketTimeoutError", "TCPConnector", "ThreadedResolver",
        "UnixClientConnectorError", "UnixConnector", "__version__",
    ])
    for name in kc.__all__:
        assert getattr(kc, name) is not None


def test_ketch_resolver_compat_module() -> None:
    import ketch
    import ketch.resolver

    assert ketch.resolver.AsyncResolver is kc.AsyncResolver
    assert ketch.resolver.ThreadedResolver is kc.ThreadedResolver
    assert ketch.resolver.DefaultResolver is kc.ThreadedResolver
    assert ketch.ClientResponseError is kc.ClientResponseError
    assert ketch.AsyncResolver is kc.AsyncResolver
