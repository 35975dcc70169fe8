"""Shared helpers for the cookie jar tests: a settable clock and Cookie-header rendering."""

from __future__ import annotations

from yarl import URL

from ketch_cookies import AbstractCookieJar, CookieJar

# Tue, 14 Nov 2023 22:13:20 GMT
T0 = 1_700_000_000.0


class FakeClock:
    """A clock the test moves by hand (the jar's injectable clock)."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_jar(**kwargs: object) -> tuple[CookieJar, FakeClock]:
    clock = FakeClock()
    return CookieJar(clock=clock, **kwargs), clock  # type: ignore[arg-type]


def sent(jar: AbstractCookieJar, url: str) -> str:
    """The Cookie header the jar would send to *url*, as the client writes it."""
    return "; ".join(f"{k}={m.coded_value}" for k, m in jar.filter_cookies(URL(url)).items())


def receive(jar: AbstractCookieJar, url: str, *headers: str) -> None:
    jar.update_cookies_from_headers(list(headers), URL(url))
