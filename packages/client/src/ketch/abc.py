"""Compatibility module: the client ABCs aiohttp's documentation imports from ``aiohttp.abc``.

Re-exports only. The cookie jar interface lives in ``ketch-cookies``; the resolver
interface in ``ketch-connector``.
"""

from ketch_connector import AbstractResolver, ResolveResult
from ketch_cookies import AbstractCookieJar, ClearCookiePredicate

__all__ = ["AbstractCookieJar", "AbstractResolver", "ClearCookiePredicate", "ResolveResult"]
