"""The cookie jar interface (aiohttp's ``AbstractCookieJar``) and the jar that keeps nothing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import Any

from yarl import URL

from ._parse import parse_set_cookie_headers

__all__ = ["AbstractCookieJar", "DummyCookieJar", "LooseCookies", "ClearCookiePredicate"]

LooseCookies = (
    Mapping[str, "str | BaseCookie[str] | Morsel[Any]"]
    | Iterable[tuple[str, "str | BaseCookie[str] | Morsel[Any]"]]
    | BaseCookie[str]
)
ClearCookiePredicate = Callable[["Morsel[str]"], bool]


class AbstractCookieJar(Iterable["Morsel[str]"], ABC):
    """What the client needs from a cookie jar; subclass it to bring your own."""

    __module__ = "ketch_cookies"

    @property
    def quote_cookie(self) -> bool:
        """Whether values are quoted (RFC 2109 routine) when sent."""
        return True

    @abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie, or those for which *predicate(morsel)* is true."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of *domain* and its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        """Store *cookies* as received from *response_url*."""

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of raw ``Set-Cookie`` header values received from *response_url*.

        The default parses each value by RFC 6265 §5.2 into a ``Morsel`` and passes them
        to :meth:`update_cookies`; values the RFC says to ignore are skipped.

        Args:
            headers: the ``Set-Cookie`` field values of one response.
            response_url: the URL of that response.
        """
        cookies = parse_set_cookie_headers(headers)
        if cookies:
            self.update_cookies(cookies, response_url)

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send with a request to *request_url*."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __iter__(self) -> Iterator[Morsel[str]]: ...


class DummyCookieJar(AbstractCookieJar):
    """A jar that keeps nothing and sends nothing."""

    __module__ = "ketch_cookies"

    def __len__(self) -> int:
        """Always 0: the jar keeps nothing."""
        return 0

    def __iter__(self) -> Iterator[Morsel[str]]:
        """An empty iterator: there are no cookies to yield."""
        return iter(())

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Do nothing: there is nothing to remove, whatever *predicate* says."""

    def clear_domain(self, domain: str) -> None:
        """Do nothing: no cookie of *domain* (or any other) is kept."""

    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        """Discard *cookies*: this jar exists to turn cookie handling off."""

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Discard the ``Set-Cookie`` values in *headers*."""

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Return an empty cookie set, so no ``Cookie`` header is sent.

        Args:
            request_url: the URL of the request (ignored).

        Returns:
            A new, empty ``SimpleCookie``.
        """
        return SimpleCookie()
