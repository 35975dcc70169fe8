"""Benchmark ketch_cookies.CookieJar against aiohttp's CookieJar on the same jar and requests.

The jar: 5,000 cookies over 500 registrable domains (10 each: host-only and domain
cookies, paths "/" and "/app", some Secure), fed as raw Set-Cookie headers the way the
client feeds them. The requests: 2,000 URLs over those sites (https and http, several
subdomains and paths), plus some to hosts with no cookies.

aiohttp 3.14 caps its jar at 3,300 cookies with private module constants; they are raised
here so both jars hold the same 5,000 (its limits stay enabled). Each measurement is the
best of a few rounds, taken in turns (ketch, aiohttp, ketch, ...) and bounded by a time
budget. Run with::

    hatch run bench:python tools/bench/bench_cookies.py [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from yarl import URL

import ketch_cookies

try:
    import aiohttp
    import aiohttp.cookiejar as aiohttp_cookiejar
except ImportError:  # pragma: no cover - the bench env has it
    sys.exit("aiohttp is not installed: run with `hatch run bench:python ...`")

DOMAINS = 500
PER_DOMAIN = 10
REQUESTS = 2000


Workload = tuple[list[tuple[URL, list[str]]], list[URL], list[dict[str, str]]]


def build_workload(seed: int = 1) -> Workload:
    """Responses (URL, Set-Cookie values), request URLs, and plain name/value mappings."""
    rng = random.Random(seed)
    responses: list[tuple[URL, list[str]]] = []
    expires = "Wed, 01 Jan 2031 00:00:00 GMT"
    for d in range(DOMAINS):
        site = f"site{d}.example{d % 13}.com"
        headers = []
        for i in range(PER_DOMAIN):
            attrs = []
            if i % 2:
                attrs.append(f"Domain={site}")
            attrs.append("Path=/app" if i % 3 == 0 else "Path=/")
            if i % 4 == 0:
                attrs.append("Secure")
            if i % 5 == 0:
                attrs.append(f"Expires={expires}")
            elif i % 5 == 1:
                attrs.append("Max-Age=86400")
            attrs.append("HttpOnly" if i % 2 else "SameSite=Lax")
            headers.append(f"c{i}_{d}=v{rng.getrandbits(48):x}; " + "; ".join(attrs))
        responses.append((URL(f"https://www.{site}/app/login"), headers))
    requests = []
    for _ in range(REQUESTS):
        d = rng.randrange(DOMAINS + DOMAINS // 10)  # ~9% go to hosts without cookies
        site = f"site{d}.example{d % 13}.com"
        host = rng.choice(("www.", "api.", "", "a.b."))
        scheme = rng.choice(("https", "https", "http"))
        path = rng.choice(("/", "/app/page", "/app", "/other/x", "/application"))
        requests.append(URL(f"{scheme}://{host}{site}{path}?q=1"))
    mappings = [{f"k{i}_{d}": f"value {d} {i}" for i in range(PER_DOMAIN)} for d in range(DOMAINS)]
    return responses, requests, mappings


class Prepared:
    """A case with untimed setup: *setup()* returns the callable to time."""

    def __init__(self, setup: Callable[[], Callable[[], Any]]) -> None:
        self.setup = setup


Case = Callable[[], Any] | Prepared


def timed(case: Case) -> float:
    """One run of a case in seconds, with the garbage collector paused (as timeit does)."""
    run = case.setup() if isinstance(case, Prepared) else case
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def interleaved(cases: dict[str, Case], rounds: int, deadline: float) -> dict[str, float]:
    """The fastest run of each case, taking turns so that a change in machine load (other
    processes share these cores) falls on both sides alike; stops at *deadline*."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, fn in cases.items():
            best[name] = min(best[name], timed(fn))
        if time.perf_counter() > deadline:
            break
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds for the whole run")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    start = time.perf_counter()
    aiohttp_cookiejar._MAX_COOKIES_TOTAL = 10_000  # type: ignore[attr-defined]
    aiohttp_cookiejar._COOKIE_QUOTA_TOTAL = 10_000  # type: ignore[attr-defined]
    responses, requests, mappings = build_workload()
    loop = asyncio.new_event_loop()  # aiohttp's jar wants one; nothing runs on it
    jars: dict[str, Callable[[], Any]] = {
        "ketch": lambda: ketch_cookies.CookieJar(),
        "aiohttp": lambda: aiohttp.CookieJar(loop=loop),
    }

    def fill(make: Callable[[], Any]) -> Any:
        jar = make()
        for url, headers in responses:
            jar.update_cookies_from_headers(headers, url)
        return jar

    def update_plain(make: Callable[[], Any]) -> Any:
        jar = make()
        for (url, _), mapping in zip(responses, mappings):
            jar.update_cookies(mapping, url)
        return jar

    def filter_all(jar: Any) -> None:
        for u in requests:
            jar.filter_cookies(u)

    filled = {name: fill(make) for name, make in jars.items()}
    sent: dict[str, int] = {}
    for name, jar in filled.items():
        assert len(jar) == DOMAINS * PER_DOMAIN, (name, len(jar))
        sent[name] = sum(len(jar.filter_cookies(u)) for u in requests)
    def first_visits(make: Callable[[], Any]) -> Callable[[], Any]:
        jar = fill(make)
        return lambda: filter_all(jar)

    ops: dict[str, dict[str, Case]] = {
        "update_cookies_from_headers": {n: (lambda m=m: fill(m)) for n, m in jars.items()},
        "update_cookies": {n: (lambda m=m: update_plain(m)) for n, m in jars.items()},
        "filter_cookies": {n: (lambda j=j: filter_all(j)) for n, j in filled.items()},
        # A fresh jar: nothing cached yet for any host (each jar's caches start cold).
        "filter_cookies, first visits": {
            n: Prepared(lambda m=m: first_visits(m)) for n, m in jars.items()
        },
    }
    results: dict[str, dict[str, float]] = {}
    for op, cases in ops.items():
        results[op] = interleaved(cases, args.rounds, time.perf_counter() + args.budget / 4)

    if sent["ketch"] != sent["aiohttp"]:
        print(f"note: cookies sent differ: ketch {sent['ketch']}, aiohttp {sent['aiohttp']}")
    print(f"jar: {DOMAINS * PER_DOMAIN} cookies over {DOMAINS} domains; "
          f"{REQUESTS} requests sending {sent['ketch']} cookies in all")
    print(f"{'operation':30} {'ketch':>12} {'aiohttp':>12} {'ratio':>8}")
    counts = {
        "update_cookies_from_headers": DOMAINS * PER_DOMAIN,
        "update_cookies": DOMAINS * PER_DOMAIN,
        "filter_cookies": REQUESTS,
        "filter_cookies, first visits": REQUESTS,
    }
    for op, n in counts.items():
        k = results[op]["ketch"] / n * 1e6
        a = results[op]["aiohttp"] / n * 1e6
        print(f"{op:30} {k:9.2f} µs {a:9.2f} µs {a / k:7.2f}×")
    loop.close()
    print(f"(per cookie stored / per request; aiohttp {aiohttp.__version__}; "
          f"ran {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
