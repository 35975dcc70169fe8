"""ketch_cookies: an RFC 6265 cookie jar with aiohttp's CookieJar API."""

from ._abc import AbstractCookieJar, ClearCookiePredicate, DummyCookieJar, LooseCookies
from ._cookie import JarMorsel, SentMorsel
from ._domains import BUILTIN_PUBLIC_SUFFIXES, PublicSuffixList
from ._exceptions import CookieFileError, CookieJarError, InvalidCookieError
from ._jar import CookieJar
from ._parse import parse_set_cookie_headers
from ._quoting import quote, unquote
from ._settings import Clock, CookieLimits
from ._version import __version__

__all__ = [
    "BUILTIN_PUBLIC_SUFFIXES",
    "AbstractCookieJar",
    "ClearCookiePredicate",
    "Clock",
    "CookieFileError",
    "CookieJar",
    "CookieJarError",
    "CookieLimits",
    "DummyCookieJar",
    "InvalidCookieError",
    "JarMorsel",
    "LooseCookies",
    "PublicSuffixList",
    "SentMorsel",
    "__version__",
    "parse_set_cookie_headers",
    "quote",
    "unquote",
]
