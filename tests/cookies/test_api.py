"""aiohttp's jar API: update_cookies input forms, filter_cookies results, clear, iteration."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie

import pytest
from yarl import URL

from ketch_cookies import (
    AbstractCookieJar,
    ClearCookiePredicate,
    DummyCookieJar,
    InvalidCookieError,
    LooseCookies,
    SentMorsel,
)

from .helpers import make_jar, receive, sent


def test_update_from_mapping_pairs_and_base_cookie() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"a": "1"})
    jar.update_cookies([("b", "2"), ("c", "3")])
    loaded: SimpleCookie = SimpleCookie()
    loaded.load("d=4; Path=/p")
    jar.update_cookies(loaded)
    assert sent(jar, "http://any.example/p") == "d=4; a=1; b=2; c=3"


def test_update_with_response_url_makes_host_only_cookies() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"a": "1"}, URL("http://example.com/dir/page"))
    assert sent(jar, "http://example.com/dir/x") == "a=1"
    assert sent(jar, "http://example.com/") == ""  # default path /dir
    assert sent(jar, "http://www.example.com/dir/x") == ""


def test_morsel_attributes_and_coded_value_are_used() -> None:
    jar, clock = make_jar()
    morsel: Morsel[str] = Morsel()
    morsel.set("m", "x y", '"x y"')
    morsel["domain"] = ".example.com"
    morsel["max-age"] = "60"
    morsel["secure"] = True
    jar.update_cookies({"m": morsel}, URL("https://www.example.com/"))
    assert sent(jar, "https://api.example.com/") == 'm="x y"'
    assert sent(jar, "http://api.example.com/") == ""
    clock.advance(60)
    assert len(jar) == 0


def test_morsel_numeric_expires_means_seconds_from_now() -> None:
    jar, clock = make_jar()
    morsel: Morsel[str] = Morsel()
    morsel.set("m", "1", "1")
    morsel["expires"] = 30
    jar.update_cookies([("m", morsel)])
    clock.advance(29)
    assert len(jar) == 1
    clock.advance(1)
    assert len(jar) == 0


def test_update_cookies_does_not_keep_the_callers_morsel() -> None:
    jar, _ = make_jar()
    morsel: Morsel[str] = Morsel()
    morsel.set("m", "1", "1")
    jar.update_cookies({"m": morsel})
    morsel.set("m", "changed", "changed")
    assert sent(jar, "http://example.com/") == "m=1"


@pytest.mark.parametrize(
    ("cookies", "match"),
    [
        ({"": "v"}, "invalid cookie name ''"),
        ({"a;b": "v"}, "invalid cookie name 'a;b'"),
        ({"a=b": "v"}, "invalid cookie name 'a=b'"),
        ({" a": "v"}, "invalid cookie name ' a'"),
        ({"a\n": "v"}, "invalid cookie name"),
        ({"a": 5}, "must be a str or Morsel, got int"),
    ],
)
def test_invalid_input_raises_and_stores_nothing(cookies: dict[str, object], match: str) -> None:
    jar, _ = make_jar()
    with pytest.raises(InvalidCookieError, match=match) as info:
        jar.update_cookies({"good": "1", **cookies})  # type: ignore[dict-item]
    assert isinstance(info.value, CookieError) and isinstance(info.value, ValueError)
    assert len(jar) == 0


def test_unquoted_value_that_would_change_the_header_is_refused() -> None:
    jar, _ = make_jar(quote_cookie=False)
    with pytest.raises(InvalidCookieError, match=r"'a;b'"):
        jar.update_cookies({"x": "a;b"})
    with pytest.raises(InvalidCookieError, match="control character"):
        jar.update_cookies({"x": "a\r\nSet-Cookie: y=1"})


def test_names_beyond_the_stdlib_token_set_are_kept() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "[weird]{name}=1", "a b=2")
    assert sent(jar, "http://example.com/") == "[weird]{name}=1; a b=2"


def test_filter_returns_a_fresh_simple_cookie_with_read_only_morsels() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "a=1; Path=/; HttpOnly")
    first = jar.filter_cookies(URL("http://example.com/"))
    assert isinstance(first, SimpleCookie)
    morsel = first["a"]
    assert isinstance(morsel, SentMorsel) and isinstance(morsel, Morsel)
    assert morsel.OutputString() == "a=1"  # name and value only, as a Cookie header needs
    with pytest.raises(TypeError, match="read-only"):
        morsel["path"] = "/x"
    with pytest.raises(TypeError, match="read-only"):
        morsel.set("a", "2", "2")
    copy = morsel.copy()
    copy["path"] = "/x"
    first["extra"] = "added by the caller"
    second = jar.filter_cookies(URL("http://example.com/"))
    assert list(second) == ["a"] and second["a"]["path"] == ""


def test_len_and_iter_skip_expired_cookies_and_give_copies() -> None:
    jar, clock = make_jar()
    receive(jar, "http://example.com/", "a=1", "b=2; Max-Age=5")
    assert len(jar) == 2
    morsels = list(jar)
    assert [m.key for m in morsels] == ["a", "b"]
    assert morsels[0]["domain"] == "example.com" and morsels[0]["path"] == "/"
    morsels[0]["path"] = "/changed"
    assert next(iter(jar))["path"] == "/"
    clock.advance(5)
    assert len(jar) == 1 and [m.key for m in jar] == ["a"]


def test_clear_all_and_by_predicate() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "keep=1", "drop=2", "drop2=3")
    jar.clear(lambda m: m.key.startswith("drop"))
    assert sent(jar, "http://example.com/") == "keep=1"
    jar.clear()
    assert len(jar) == 0 and sent(jar, "http://example.com/") == ""
    receive(jar, "http://example.com/", "again=1")
    assert sent(jar, "http://example.com/") == "again=1"


def test_clear_domain_removes_the_domain_and_its_subdomains() -> None:
    jar, _ = make_jar()
    receive(jar, "http://example.com/", "a=1")
    receive(jar, "http://www.example.com/", "b=1")
    receive(jar, "http://www.example.com/", "c=1; Domain=example.com")
    receive(jar, "http://notexample.com/", "d=1")
    receive(jar, "http://example.org/", "e=1")
    jar.clear_domain(".Example.COM")
    assert sorted(m.key for m in jar) == ["d", "e"]


def test_dummy_jar_keeps_and_sends_nothing() -> None:
    jar = DummyCookieJar()
    jar.update_cookies({"a": "1"})
    jar.update_cookies_from_headers(["b=2"], URL("http://example.com/"))
    assert len(jar) == 0 and list(jar) == []
    assert dict(jar.filter_cookies(URL("http://example.com/"))) == {}
    jar.clear()
    jar.clear_domain("example.com")
    assert jar.quote_cookie


class RecordingJar(AbstractCookieJar):
    """A user's own jar: only update_cookies is implemented by hand."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Morsel[str], URL]] = []

    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        assert not isinstance(cookies, BaseCookie) and isinstance(cookies, Sequence)
        for name, morsel in cookies:
            assert isinstance(morsel, Morsel)
            self.received.append((name, morsel, response_url))

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        return SimpleCookie()

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        self.received.clear()

    def clear_domain(self, domain: str) -> None:
        self.received.clear()

    def __len__(self) -> int:
        return len(self.received)

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter([m for _, m, _ in self.received])


def test_abstract_jar_parses_headers_by_rfc_6265_for_subclasses() -> None:
    jar = RecordingJar()
    url = URL("http://example.com/")
    jar.update_cookies_from_headers(["a=1; Partitioned; Secure; Unknown=x", "broken", "b=2"], url)
    assert [(name, m.value, u) for name, m, u in jar.received] == [("a", "1", url), ("b", "2", url)]
    assert jar.received[0][1]["partitioned"] is True


def test_morsel_with_infinite_expires_is_refused() -> None:
    jar, _ = make_jar()
    morsel: Morsel[str] = Morsel()
    morsel.set("m", "1", "1")
    morsel["expires"] = float("inf")
    with pytest.raises(InvalidCookieError, match="expires of cookie 'm' is not finite"):
        jar.update_cookies({"m": morsel})


def test_response_url_may_be_given_as_a_string() -> None:
    jar, _ = make_jar()
    jar.update_cookies_from_headers(["a=1"], "http://example.com/")  # type: ignore[arg-type]
    jar.update_cookies({"b": "2"}, "http://example.com/")  # type: ignore[arg-type]
    assert sent(jar, "http://example.com/") == "a=1; b=2"


def test_morsels_under_quote_cookie_false_send_their_value_as_it_is() -> None:
    loaded: SimpleCookie = SimpleCookie()
    loaded["m"] = "x y"  # coded as '"x y"' by the standard library
    quoted, _ = make_jar()
    quoted.update_cookies(loaded)
    assert sent(quoted, "http://example.com/") == 'm="x y"'
    plain, _ = make_jar(quote_cookie=False)
    plain.update_cookies(loaded)
    assert sent(plain, "http://example.com/") == "m=x y"
    loaded["n"] = "a;b"
    with pytest.raises(InvalidCookieError, match="'a;b' of cookie 'n'"):
        plain.update_cookies(loaded)
