"""The errors of ketch_cookies.

    CookieJarError
     ├── InvalidCookieError   (also http.cookies.CookieError and ValueError)
     └── CookieFileError      (also ValueError)

``InvalidCookieError`` is raised for a cookie the application hands over that cannot be
sent as given (a name with ";", a control character in an unquoted value); being a
``CookieError`` too, code written for aiohttp's jar catches it as before. Cookies a server
sends that break a rule of RFC 6265 are ignored, as §5.2 and §5.3 say, never raised.
``CookieFileError`` is raised by ``load`` and ``import_netscape`` for a file that is damaged
or hostile; the jar is left as it was.
"""

from __future__ import annotations

from http.cookies import CookieError
from os import PathLike

__all__ = ["CookieFileError", "CookieJarError", "InvalidCookieError"]


class CookieJarError(Exception):
    """Base class of the errors raised by ketch_cookies."""

    __module__ = "ketch_cookies"


class InvalidCookieError(CookieJarError, CookieError, ValueError):
    """A cookie given by the application cannot be stored or sent as given."""

    __module__ = "ketch_cookies"


class CookieFileError(CookieJarError, ValueError):
    """A cookie file cannot be loaded: it is damaged, hostile, or of another format.

    Args:
        path: the file.
        reason: what is wrong, naming the offending entry and value.

    Attributes:
        path: the file.
        reason: what is wrong.
    """

    __module__ = "ketch_cookies"

    def __init__(self, path: str | PathLike[str], reason: str) -> None:
        super().__init__(f"cannot load cookies from {str(path)!r}: {reason}")
        self.path = path
        self.reason = reason
