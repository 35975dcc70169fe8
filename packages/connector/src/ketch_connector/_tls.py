"""TLS: the ``ssl=`` setting, certificate pinning and the handshake over a connected transport.

The handshake runs with ``loop.start_tls`` on a transport that is already connected, so its
time is measured on its own (``send_tls_handshake_start/end``) and the same code wraps a
direct TCP connection, a tunnel through a proxy, or a TLS connection to an HTTPS proxy
(TLS in TLS). Handshake failures become aiohttp's documented errors, chained with ``from``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketch_tracing import Trace

from ._exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
)

if TYPE_CHECKING:
    from ._connection import ConnectionProtocol
    from ._key import ConnectionKey

__all__ = ["Fingerprint", "SSLSetting", "resolve_ssl", "start_tls", "default_ssl_context"]

_HASHES = {16: "md5", 20: "sha1", 32: "sha256"}


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Pins the server certificate by the SHA-256 digest of its DER encoding.

    Args:
        fingerprint: the 32-byte digest (``binascii.unhexlify`` turns a hex string into it).

    Raises:
        ValueError: an MD5 or SHA-1 sized digest (too weak to pin), or any other length.
    """

    __module__ = "ketch_connector"

    fingerprint: bytes

    def __post_init__(self) -> None:
        name = _HASHES.get(len(self.fingerprint))
        if name is None:
            raise ValueError(
                f"fingerprint has invalid length {len(self.fingerprint)} "
                f"(expected a 32-byte SHA-256 digest): {self.fingerprint!r}"
            )
        if name != "sha256":
            raise ValueError(
                f"{name} is not allowed for fingerprinting; use a SHA-256 digest "
                f"(got {len(self.fingerprint)} bytes: {self.fingerprint!r})"
            )

    def check(self, transport: asyncio.BaseTransport, host: str = "", port: int = 0) -> None:
        """Compare the certificate of *transport*'s peer with the pinned digest.

        Raises:
            ServerFingerprintMismatch: the digests differ (or no certificate was sent).
        """
        sslobj: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        cert = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        got = hashlib.sha256(cert).digest() if cert else b""
        if got != self.fingerprint:
            raise ServerFingerprintMismatch(self.fingerprint, got, host, port)


SSLSetting = bool | ssl.SSLContext | Fingerprint
"""What ``ssl=`` accepts: True (verify), False (don't), a context, or a pin."""


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The verifying context for ``ssl=True``: system trust store, hostname check.

    Built once per process: loading the trust store is the expensive part of a context.
    """
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@functools.cache
def _unverified_ssl_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def resolve_ssl(
    setting: SSLSetting, default: SSLSetting
) -> tuple[ssl.SSLContext, Fingerprint | None]:
    """Turn a request's ``ssl=`` (True: the connector's *default*) into a context and pin.

    Returns:
        The context to handshake with and, for a :class:`Fingerprint`, the pin to check
        (the certificate chain itself is then not verified: the pin replaces it).
    """
    if setting is True:
        setting = default
    if isinstance(setting, ssl.SSLContext):
        return setting, None
    if isinstance(setting, Fingerprint):
        return _unverified_ssl_context(), setting
    if setting is True:
        return default_ssl_context(), None
    return _unverified_ssl_context(), None


async def start_tls(
    loop: asyncio.AbstractEventLoop,
    proto: ConnectionProtocol,
    context: ssl.SSLContext,
    server_hostname: str,
    key: ConnectionKey,
    traces: Sequence[Trace],
    fingerprint: Fingerprint | None = None,
    shutdown_timeout: float | None = None,
) -> None:
    """Run the TLS handshake on *proto*'s transport and make *proto* speak through TLS.

    Raises:
        ClientConnectorCertificateError: the certificate failed verification.
        ClientConnectorSSLError: any other handshake failure.
        ServerFingerprintMismatch: the certificate does not match *fingerprint*.
        ClientConnectorError: the connection broke during the handshake.
        ConnectionTimeoutError: the handshake timed out.
    """
    transport = proto.transport
    assert transport is not None
    if traces:
        for trace in traces:
            await trace.send_tls_handshake_start()
    try:
        tls_transport = await loop.start_tls(
            transport, proto, context, server_hostname=server_hostname or None,
            ssl_shutdown_timeout=shutdown_timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        raise ClientConnectorCertificateError(key, exc) from exc
    except ssl.SSLError as exc:
        raise ClientConnectorSSLError(key, exc) from exc
    except TimeoutError as exc:
        transport.close()
        raise ConnectionTimeoutError(
            f"TLS handshake with {key.host}:{key.port} timed out"
        ) from exc
    except OSError as exc:
        raise ClientConnectorError(key, exc) from exc
    except BaseException:
        transport.close()
        raise
    assert tls_transport is not None
    assert isinstance(tls_transport, asyncio.Transport)
    proto.transport = tls_transport
    proto.under = (transport, *proto.under)
    # Peeking the raw socket would see TLS records (session tickets, close_notify) that
    # are not application data; the TLS layer reports real end of stream to the protocol.
    proto.sock = None
    if fingerprint is not None:
        try:
            fingerprint.check(tls_transport, key.host, key.port)
        except ServerFingerprintMismatch:
            tls_transport.abort()
            raise
    if traces:
        for trace in traces:
            await trace.send_tls_handshake_end()
