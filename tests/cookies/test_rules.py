"""Rules browsers apply beyond RFC 6265 (RFC 6265bis, CHIPS): prefixes, Secure, SameSite."""

from __future__ import annotations

import pytest
from yarl import URL

from .helpers import make_jar, receive, sent

HOST = "https://www.example.com/"


@pytest.mark.parametrize(
    ("url", "header", "kept"),
    [
        (HOST, "__Secure-a=1; Secure", True),
        (HOST, "__Secure-a=1; Secure; Domain=example.com; Path=/x", True),
        (HOST, "__Secure-a=1", False),  # no Secure attribute
        ("http://www.example.com/", "__Secure-a=1; Secure", False),  # insecure origin
        (HOST, "__SECURE-a=1", False),  # the prefix is matched case-insensitively
        (HOST, "__secure-a=1; Secure", True),
        (HOST, "__Host-a=1; Secure; Path=/", True),
        (HOST, "__Host-a=1; Secure", True),  # default path of "/" is "/"
        ("https://www.example.com/dir/page", "__Host-a=1; Secure", False),  # default "/dir"
        (HOST, "__Host-a=1; Path=/", False),  # no Secure
        (HOST, "__Host-a=1; Secure; Path=/; Domain=www.example.com", False),  # any Domain
        (HOST, "__Host-a=1; Secure; Path=/; Domain=example.com", False),
        (HOST, "__Host-a=1; Secure; Path=/x", False),  # Path must be "/"
        ("http://www.example.com/", "__Host-a=1; Secure; Path=/", False),
        (HOST, "__HOST-a=1; Path=/", False),
        (HOST, "__Hostile=1", True),  # not the prefix: "__Host-" needs its dash
    ],
)
def test_cookie_name_prefixes(url: str, header: str, kept: bool) -> None:
    jar, _ = make_jar()
    receive(jar, url, header)
    assert (len(jar) == 1) is kept


def test_host_prefixed_cookie_is_host_only() -> None:
    jar, _ = make_jar()
    receive(jar, HOST, "__Host-sid=1; Secure; Path=/")
    assert sent(jar, HOST) == "__Host-sid=1"
    assert sent(jar, "https://sub.www.example.com/") == ""


def test_secure_cookie_needs_a_secure_origin() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "s=1; Secure")
    assert len(jar) == 0


def test_insecure_origin_cannot_overwrite_or_shadow_a_secure_cookie() -> None:
    jar, _ = make_jar()
    receive(jar, "https://www.example.com/", "sid=secret; Secure; Domain=example.com")
    receive(jar, "http://www.example.com/", "sid=evil")  # same name, overlapping scope
    receive(jar, "http://other.example.com/", "sid=evil; Domain=example.com; Path=/x")
    receive(jar, "http://www.example.com/", "other=fine")
    assert sent(jar, "https://www.example.com/x") == "sid=secret; other=fine"
    # A secure origin may replace it.
    receive(jar, "https://www.example.com/", "sid=new; Domain=example.com")
    assert sent(jar, "http://www.example.com/") == "sid=new; other=fine"


def test_unrelated_domain_may_use_the_same_name() -> None:
    jar, _ = make_jar()
    receive(jar, "https://a.example/", "sid=1; Secure")
    receive(jar, "http://b.example/", "sid=2")
    assert sent(jar, "http://b.example/") == "sid=2"


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("a=1; SameSite=None", False),  # SameSite=None needs Secure
        ("a=1; SameSite=None; Secure", True),
        ("a=1; Partitioned", False),  # CHIPS: Partitioned needs Secure
        ("a=1; Partitioned; Secure", True),
        ("a=1; SameSite=Strict", True),
    ],
)
def test_samesite_none_and_partitioned_need_secure(header: str, kept: bool) -> None:
    jar, _ = make_jar()
    receive(jar, HOST, header)
    assert (len(jar) == 1) is kept


def test_samesite_and_partitioned_are_kept_and_shown() -> None:
    jar, _ = make_jar()
    receive(jar, HOST, "a=1; SameSite=lax; Secure", "b=1; Partitioned; Secure; SameSite=None")
    morsels = {m.key: m for m in jar}
    assert morsels["a"]["samesite"] == "Lax" and not morsels["a"]["partitioned"]
    assert morsels["b"]["samesite"] == "None" and morsels["b"]["partitioned"] is True
    assert "Partitioned" in morsels["b"].OutputString()
    # A client has no top-level site to partition by: both are sent to their host.
    assert sent(jar, HOST) == "a=1; b=1"


def test_http_only_cookies_are_sent_by_the_http_client() -> None:
    jar, _ = make_jar()
    receive(jar, HOST, "h=1; HttpOnly")
    assert sent(jar, HOST) == "h=1"
    assert next(iter(jar))["httponly"] is True


def test_shared_cookies_skip_origin_rules() -> None:
    # Cookies the application gives without a URL have no origin to check against.
    jar, _ = make_jar()
    jar.update_cookies({"__Host-x": "1"})
    assert sent(jar, "http://anything.example/") == "__Host-x=1"
    assert jar.filter_cookies(URL("https://127.0.0.1/"))["__Host-x"].value == "1"
