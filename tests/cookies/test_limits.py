"""Limits (RFC 6265 §6.1) and eviction, least recently used first (§5.3)."""

from __future__ import annotations

import pytest

from ketch_cookies import CookieLimits

from .helpers import make_jar, receive, sent


def test_defaults() -> None:
    limits = CookieLimits()
    assert (limits.max_cookie_size, limits.max_cookies_per_domain, limits.max_cookies) == (
        4096, 180, 10_000,
    )
    assert limits.max_lifetime == 400 * 86400


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_cookies": 0}, "max_cookies must be a positive int, got 0"),
        ({"max_cookie_size": -1}, "max_cookie_size must be a positive int, got -1"),
        ({"max_cookies_per_domain": True}, "max_cookies_per_domain must be a positive int"),
        ({"max_cookies": 1.5}, "got 1.5"),
        ({"max_lifetime": 0}, "max_lifetime must be a positive number or None, got 0"),
        ({"max_lifetime": float("inf")}, "got inf"),
    ],
)
def test_invalid_limits_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CookieLimits(**kwargs)  # type: ignore[arg-type]


def test_cookie_over_size_limit_is_ignored() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "n=" + "v" * 4096, "m=" + "v" * 4095)  # 4097, 4096
    assert [m.key for m in jar] == ["m"]


def test_no_max_lifetime_keeps_expiry_as_sent() -> None:
    jar, clock = make_jar(limits=CookieLimits(max_lifetime=None))
    receive(jar, "http://example.com/", "a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    clock.advance(3000 * 86400)
    assert sent(jar, "http://example.com/") == "a=1"


def test_per_domain_limit_evicts_the_least_recently_used() -> None:
    jar, clock = make_jar(limits=CookieLimits(max_cookies_per_domain=3))
    receive(jar, "http://example.com/", "a=1", "b=2", "c=3")
    clock.advance(1)
    sent(jar, "http://example.com/")  # a, b and c are used now
    clock.advance(1)
    receive(jar, "http://example.com/", "b=22")  # replacing b counts as using it
    clock.advance(1)
    receive(jar, "http://example.com/", "d=4")  # over the limit: a (then c) is the oldest
    assert sorted(m.key for m in jar) == ["b", "c", "d"]
    receive(jar, "http://other.example/", "x=1", "y=2", "z=3")  # other domains are apart
    assert len(jar) == 6


def test_per_domain_limit_counts_each_cookie_domain() -> None:
    jar, _ = make_jar(limits=CookieLimits(max_cookies_per_domain=2))
    receive(jar, "http://www.example.com/", "a=1", "b=2; Domain=example.com")
    receive(jar, "http://www.example.com/", "c=3", "d=4; Domain=example.com")
    assert len(jar) == 4


def test_total_limit_evicts_least_recently_used_down_to_ten_percent_under() -> None:
    jar, clock = make_jar(limits=CookieLimits(max_cookies=20))
    for i in range(20):
        receive(jar, f"http://site{i}.example/", f"c{i}=1")
        clock.advance(1)
    # Use the five oldest, so that c5..c9 become the least recently used.
    for i in range(5):
        sent(jar, f"http://site{i}.example/")
    clock.advance(1)
    receive(jar, "http://new.example/", "new=1")
    kept = {m.key for m in jar}
    assert len(kept) == 18  # 20 - 20 // 10
    assert {"c5", "c6", "c7"}.isdisjoint(kept)
    assert {"c0", "c4", "c8", "new"} <= kept


def test_expired_cookies_go_before_live_ones() -> None:
    jar, clock = make_jar(limits=CookieLimits(max_cookies_per_domain=2))
    receive(jar, "http://example.com/", "old=1", "short=1; Max-Age=1")
    clock.advance(2)
    receive(jar, "http://example.com/", "new=1")
    assert sorted(m.key for m in jar) == ["new", "old"]


def test_deleting_at_the_limit_evicts_nothing() -> None:
    jar, _ = make_jar(limits=CookieLimits(max_cookies_per_domain=2))
    receive(jar, "http://example.com/", "a=1", "b=2")
    receive(jar, "http://example.com/", "c=; Max-Age=0")
    assert sorted(m.key for m in jar) == ["a", "b"]


def test_many_replacements_keep_memory_bounded() -> None:
    jar, clock = make_jar()
    for i in range(2000):
        receive(jar, "http://example.com/", f"a={i}; Max-Age=1000")
        clock.advance(0.001)
    assert len(jar) == 1
    assert len(jar._store.heap) <= 2 * len(jar) + 64  # stale expiry entries are compacted


def test_enormous_max_age_is_clamped_to_the_last_writable_date() -> None:
    jar, _ = make_jar(limits=CookieLimits(max_lifetime=None))
    receive(jar, "http://example.com/", "a=1; Max-Age=" + "9" * 1000)
    receive(jar, "http://example.com/", "b=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT")
    assert [m["expires"] for m in jar] == ["Fri, 31 Dec 9999 23:59:59 GMT"] * 2
