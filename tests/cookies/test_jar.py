"""CookieJar: RFC 6265 storage (§5.3) and retrieval (§5.4), with the RFC's own examples."""

from __future__ import annotations

import calendar

import pytest
from yarl import URL

from ketch_cookies import CookieJar

from .helpers import FakeClock, make_jar, receive, sent


def at(*date: int) -> float:
    return float(calendar.timegm((*date, 0, 0, 0)[:9]))


# ---- RFC 6265 §3.1 examples ------------------------------------------------------------


def test_rfc_example_session_cookie() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "SID=31d4d96e407aad42")
    assert sent(jar, "http://example.com/") == "SID=31d4d96e407aad42"


def test_rfc_example_path_and_domain() -> None:
    jar, _ = make_jar()
    receive(
        jar, "http://example.com/",
        "SID=31d4d96e407aad42; Path=/; Domain=example.com",
        "lang=en-US; Path=/; Domain=example.com",
    )
    assert sent(jar, "http://example.com/") == "SID=31d4d96e407aad42; lang=en-US"
    assert sent(jar, "http://www.example.com/any/path") == "SID=31d4d96e407aad42; lang=en-US"
    assert sent(jar, "http://example.org/") == ""


def test_rfc_example_secure_and_httponly() -> None:
    jar, _ = make_jar()
    receive(
        jar, "https://example.com/",
        "SID=31d4d96e407aad42; Path=/; Secure; HttpOnly",
        "lang=en-US; Path=/; Domain=example.com",
    )
    assert sent(jar, "https://example.com/") == "SID=31d4d96e407aad42; lang=en-US"
    assert sent(jar, "http://example.com/") == "lang=en-US"  # Secure only over https
    assert sent(jar, "https://www.example.com/") == "lang=en-US"  # SID is host-only


def test_rfc_example_persistent_then_removed() -> None:
    jar, clock = make_jar()
    clock.now = at(2021, 6, 1, 0, 0, 0)
    receive(
        jar, "http://example.com/",
        "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
        "SID=31d4d96e407aad42",
    )
    assert sent(jar, "http://example.com/") == "lang=en-US; SID=31d4d96e407aad42"
    receive(jar, "http://example.com/", "lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT")
    assert sent(jar, "http://example.com/") == "SID=31d4d96e407aad42"


def test_expiry_date_passing_removes_cookie() -> None:
    jar, clock = make_jar()
    clock.now = at(2021, 6, 1, 0, 0, 0)
    receive(jar, "http://example.com/", "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT")
    clock.now = at(2021, 6, 9, 10, 18, 13)
    assert sent(jar, "http://example.com/") == "lang=en-US"
    clock.now = at(2021, 6, 9, 10, 18, 14)
    assert sent(jar, "http://example.com/") == ""
    assert len(jar) == 0


# ---- §5.3 storage ----------------------------------------------------------------------


def test_host_only_cookie_is_not_sent_to_subdomains() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "h=1", "d=2; Domain=example.com")
    assert sent(jar, "http://example.com/") == "h=1; d=2"
    assert sent(jar, "http://www.example.com/") == "d=2"


@pytest.mark.parametrize(
    "header",
    [
        "a=1; Domain=other.com",  # another site
        "a=1; Domain=sub.www.example.com",  # a subdomain the host does not match
        "a=1; Domain=ample.com",  # not at a dot boundary
        "a=1; Domain=com",  # a public suffix
        "a=1; Domain=example.com.",  # the host does not domain-match a trailing dot
    ],
)
def test_domain_attribute_must_be_matched_by_the_host(header: str) -> None:
    jar, _ = make_jar()
    receive(jar, "http://www.example.com/", header)
    assert len(jar) == 0


def test_public_suffix_domain_rejected_from_a_site_below_it() -> None:
    jar, _ = make_jar()
    receive(jar, "https://user.github.io/", "a=1; Domain=github.io")
    receive(jar, "https://www.example.co.uk/", "b=1; Domain=co.uk")
    assert len(jar) == 0
    receive(jar, "https://www.example.co.uk/", "c=1; Domain=example.co.uk")
    assert sent(jar, "https://other.example.co.uk/") == "c=1"


def test_public_suffix_equal_to_the_host_makes_a_host_only_cookie() -> None:
    jar, _ = make_jar()
    receive(jar, "https://github.io/", "a=1; Domain=github.io")
    assert sent(jar, "https://github.io/") == "a=1"
    assert sent(jar, "https://user.github.io/") == ""


def test_public_suffix_hook_and_switch() -> None:
    jar, _ = make_jar(public_suffixes=lambda domain: domain == "example.com")
    receive(jar, "http://www.example.com/", "a=1; Domain=example.com")
    receive(jar, "http://www.example.org/", "b=1; Domain=example.org")
    assert len(jar) == 1 and sent(jar, "http://x.example.org/") == "b=1"
    off, _ = make_jar(public_suffixes=None)
    receive(off, "http://www.example.com/", "a=1; Domain=com")
    assert sent(off, "http://other.com/") == "a=1"


@pytest.mark.parametrize(
    ("response_path", "cookie_path"),
    [("/", "/"), ("", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b/c", "/a/b"),
     ("/a/b/c?q=/x", "/a/b")],
)
def test_default_path_section_5_1_4(response_path: str, cookie_path: str) -> None:
    jar, _ = make_jar()
    receive(jar, f"http://example.com{response_path}", "a=1")
    assert [m["path"] for m in jar] == [cookie_path]


@pytest.mark.parametrize(
    ("request_path", "sent_too"),
    [("/a/b", True), ("/a/b/", True), ("/a/b/c", True), ("/a/bc", False), ("/a", False),
     ("/", False), ("/A/b", False)],
)
def test_path_match_section_5_1_4(request_path: str, sent_too: bool) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "p=1; Path=/a/b")
    assert (sent(jar, f"http://example.com{request_path}") == "p=1") is sent_too


def test_cookie_path_ending_in_slash_matches_below_it() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "p=1; Path=/a/")
    assert sent(jar, "http://example.com/a/x") == "p=1"
    assert sent(jar, "http://example.com/a") == ""


def test_replacement_keeps_creation_time_and_order() -> None:
    jar, clock = make_jar()
    receive(jar, "http://example.com/", "a=1")
    clock.advance(1)
    receive(jar, "http://example.com/", "b=2")
    clock.advance(1)
    receive(jar, "http://example.com/", "a=3")
    assert sent(jar, "http://example.com/") == "a=3; b=2"
    assert len(jar) == 2


def test_identity_is_domain_path_and_name() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "a=root; Path=/", "a=deep; Path=/x")
    receive(jar, "http://www.example.com/", "a=www")
    assert len(jar) == 3


def test_max_age_wins_over_expires() -> None:
    jar, clock = make_jar()
    receive(jar, "http://example.com/", "a=1; Max-Age=10; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    receive(jar, "http://example.com/", "b=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=100")
    assert sent(jar, "http://example.com/") == "a=1; b=1"
    clock.advance(10)
    assert sent(jar, "http://example.com/") == "b=1"
    clock.advance(90)
    assert sent(jar, "http://example.com/") == ""


@pytest.mark.parametrize(
    "attrs", ["Max-Age=0", "Max-Age=-1", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
)
def test_past_expiry_deletes_and_is_not_stored(attrs: str) -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "a=1", "b=1")
    receive(jar, "http://example.com/", f"a=gone; {attrs}", f"c=never; {attrs}")
    assert sent(jar, "http://example.com/") == "b=1"


def test_session_cookie_has_no_expiry_and_persistent_one_does() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "s=1", "p=1; Max-Age=3600")
    morsels = {m.key: m for m in jar}
    assert morsels["s"]["expires"] == ""
    assert morsels["p"]["expires"] == "Tue, 14 Nov 2023 23:13:20 GMT"


def test_expiry_is_capped_at_max_lifetime() -> None:
    jar, clock = make_jar()
    receive(jar, "http://example.com/", "a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    clock.advance(400 * 86400 - 1)
    assert sent(jar, "http://example.com/") == "a=1"
    clock.advance(1)
    assert sent(jar, "http://example.com/") == ""


# ---- §5.4 retrieval --------------------------------------------------------------------


def test_order_longer_paths_first_then_older() -> None:
    jar, clock = make_jar()
    receive(jar, "http://example.com/", "root1=1; Path=/")
    clock.advance(1)
    receive(jar, "http://example.com/", "deep=1; Path=/a/b", "mid=1; Path=/a")
    clock.advance(1)
    receive(jar, "http://example.com/", "root2=1; Path=/", "mid2=1; Path=/a")
    assert sent(jar, "http://example.com/a/b/c") == "deep=1; mid=1; mid2=1; root1=1; root2=1"


def test_same_name_most_specific_wins() -> None:
    jar, _ = make_jar()
    receive(jar, "http://www.example.com/", "a=domain; Domain=example.com; Path=/")
    receive(jar, "http://www.example.com/", "a=deep; Path=/x")
    assert sent(jar, "http://www.example.com/x/y") == "a=deep"
    assert sent(jar, "http://www.example.com/") == "a=domain"


def test_secure_only_over_secure_origins() -> None:
    jar, _ = make_jar()
    receive(jar, "https://example.com/", "s=1; Secure", "p=1")
    assert sent(jar, "https://example.com/") == "s=1; p=1"
    assert sent(jar, "wss://example.com/") == "s=1; p=1"
    assert sent(jar, "http://example.com/") == "p=1"
    assert sent(jar, "ws://example.com/") == "p=1"


def test_treat_as_secure_origin() -> None:
    jar, _ = make_jar(treat_as_secure_origin=["http://localhost:8080", URL("http://dev.test")])
    assert jar.treat_as_secure_origin == frozenset(
        {URL("http://localhost:8080"), URL("http://dev.test")}
    )
    receive(jar, "http://localhost:8080/", "s=1; Secure")
    assert sent(jar, "http://localhost:8080/x") == "s=1"
    assert sent(jar, "http://localhost:9090/") == ""  # another origin: another port
    receive(jar, "http://localhost:9090/", "t=1; Secure")
    assert len(jar) == 1
    single, _ = make_jar(treat_as_secure_origin="http://dev.test")
    receive(single, "http://dev.test/", "s=1; Secure")
    assert sent(single, "http://dev.test/") == "s=1"


def test_treat_as_secure_origin_needs_absolute_urls() -> None:
    with pytest.raises(ValueError, match="'/relative'"):
        CookieJar(treat_as_secure_origin="/relative")


def test_filter_accepts_a_string_and_a_url_without_host() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"shared": "1"})
    receive(jar, "http://example.com/", "a=1")
    by_text = jar.filter_cookies("http://example.com/")  # type: ignore[arg-type]
    assert list(by_text) == ["shared", "a"]
    assert list(jar.filter_cookies(URL())) == ["shared"]


# ---- IP-address hosts --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://[::1]/", "http://10.0.0.1/"])
def test_strict_jar_takes_no_cookies_from_ip_hosts(url: str) -> None:
    jar, _ = make_jar()
    receive(jar, url, "a=1")
    jar.update_cookies({"b": "2"}, URL(url))
    assert len(jar) == 0


def test_strict_jar_sends_only_shared_cookies_to_ip_hosts() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"shared": "1"})
    assert sent(jar, "http://127.0.0.1/") == "shared=1"


def test_unsafe_jar_keeps_ip_cookies_for_that_address_only() -> None:
    jar, _ = make_jar(unsafe=True)
    assert jar.unsafe
    receive(jar, "http://127.0.0.1:8080/", "a=1")
    receive(jar, "http://[::1]/", "v6=1")
    assert sent(jar, "http://127.0.0.1:9999/") == "a=1"  # cookies ignore ports (§8.5)
    assert sent(jar, "http://127.0.0.2/") == ""
    assert sent(jar, "http://[::1]/x") == "v6=1"
    receive(jar, "http://127.0.0.1/", "d=1; Domain=0.0.1")  # no suffix matching for IPs
    receive(jar, "http://127.0.0.1/", "e=1; Domain=127.0.0.1")
    assert sent(jar, "http://127.0.0.1/") == "a=1; e=1"


# ---- quoting ----------------------------------------------------------------------------


def test_quote_cookie_true_applies_the_rfc_2109_routine() -> None:
    jar, _ = make_jar()
    assert jar.quote_cookie
    jar.update_cookies({"a": "x;y z", "b": "plain", "c": 'q"\\'})
    assert sent(jar, "http://example.com/") == 'a="x\\073y z"; b=plain; c="q\\"\\\\"'
    assert jar.filter_cookies(URL("http://example.com/"))["a"].value == "x;y z"


def test_quote_cookie_false_sends_values_as_they_are() -> None:
    jar, _ = make_jar(quote_cookie=False)
    assert not jar.quote_cookie
    jar.update_cookies({"a": "x y,z", "b": '"already"'})
    assert sent(jar, "http://example.com/") == 'a=x y,z; b="already"'


def test_set_cookie_values_go_back_exactly_as_received_either_way() -> None:
    for quote_cookie in (True, False):
        jar, _ = make_jar(quote_cookie=quote_cookie)
        receive(jar, "http://example.com/", 'q="a\\073b"', "r=a,b")
        assert sent(jar, "http://example.com/") == 'q="a\\073b"; r=a,b'
        assert jar.filter_cookies(URL("http://example.com/"))["q"].value == "a;b"


def test_cookies_of_new_domains_are_seen_by_hosts_already_asked_about() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "d=1; Domain=example.com")
    assert sent(jar, "http://a.www.example.com/") == "d=1"
    receive(jar, "http://www.example.com/", "w=1; Domain=www.example.com")  # a new bucket
    receive(jar, "http://a.www.example.com/", "h=1")
    assert sent(jar, "http://a.www.example.com/") == "d=1; w=1; h=1"
    jar.clear_domain("www.example.com")  # the buckets go away again
    assert sent(jar, "http://a.www.example.com/") == "d=1"
