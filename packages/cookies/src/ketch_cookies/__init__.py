"""ketch_cookies: an RFC 6265 cookie jar with aiohttp's CookieJar API."""

from ._abc import AbstractCookieJar, ClearCookiePredicate, DummyCookieJar, LooseCookies
from ._version import __version__

__all__ = [
    "AbstractCookieJar",
    "ClearCookiePredicate",
    "DummyCookieJar",
    "LooseCookies",
    "__version__",
]
