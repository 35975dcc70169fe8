"""``BasicAuth``: HTTP Basic credentials (RFC 7617), as aiohttp's named tuple."""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

from yarl import URL

__all__ = ["BasicAuth"]


class _BasicAuthFields(NamedTuple):
    login: str
    password: str
    encoding: str


class BasicAuth(_BasicAuthFields):
    """HTTP Basic credentials: a ``(login, password, encoding)`` named tuple.

    Args:
        login: the user name; it cannot contain ``:`` (RFC 7617 §2).
        password: the password (may contain ``:``).
        encoding: how the credentials are encoded before base64 (aiohttp's default
            latin1; RFC 7617 §2.1 lets servers ask for UTF-8).

    Raises:
        ValueError: *login* or *password* is None, or *login* contains ``:``.
    """

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError(f'A ":" is not allowed in login (RFC 7617 §2), got {login!r}')
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Parse an ``Authorization: Basic ...`` header value.

        Raises:
            ValueError: not a Basic header, bad base64, or no ``:`` in the credentials.
        """
        try:
            auth_type, encoded = auth_header.split(" ", 1)
        except ValueError:
            raise ValueError(f"Could not parse authorization header: {auth_header!r}") from None
        if auth_type.lower() != "basic":
            raise ValueError(f"Unknown authorization method {auth_type}")
        try:
            decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode(encoding)
        except (binascii.Error, UnicodeError):
            raise ValueError(f"Invalid base64 encoding: {encoded!r}") from None
        login, sep, password = decoded.partition(":")
        if not sep:
            raise ValueError("Invalid credentials: no ':' between login and password")
        return cls(login, password, encoding=encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """The credentials in *url* (``http://user:pass@host``), or None if it has none.

        Raises:
            TypeError: *url* is not a ``yarl.URL``.
        """
        if not isinstance(url, URL):
            raise TypeError(f"url should be yarl.URL instance, got {type(url).__name__}")
        if url.raw_user is None and url.raw_password is None:
            return None
        return cls(url.user or "", url.password or "", encoding=encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value: ``Basic <base64(login:password)>``."""
        creds = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(creds).decode("ascii")
