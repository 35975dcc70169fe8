"""Set-Cookie parsing by RFC 6265 §5.2, and Morsel views of parsed headers."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketch_cookies import JarMorsel, parse_set_cookie_headers
from ketch_cookies._parse import parse_set_cookie


def test_name_value_pair_with_whitespace_trimmed() -> None:
    c = parse_set_cookie("  SID =  31d4d96e407aad42 \t")
    assert c is not None
    assert (c.name, c.value, c.coded_value) == ("SID", "31d4d96e407aad42", "31d4d96e407aad42")


def test_value_may_contain_equals_and_be_empty() -> None:
    c = parse_set_cookie("token=a=b==")
    assert c is not None and c.value == "a=b=="
    empty = parse_set_cookie("gone=")
    assert empty is not None and empty.value == ""


@pytest.mark.parametrize(
    "header",
    [
        "no-equals-sign",  # §5.2 step 2
        "=value-without-name",  # §5.2 step 5
        "  =x; Path=/",
        "a=b\x00c",  # RFC 6265bis §5.6 step 1: control characters void the header
        "a=b; Path=/\r\nX-Injected: 1",
        "a=b\x7f",
        "",
        ";",
    ],
)
def test_headers_the_algorithm_ignores(header: str) -> None:
    assert parse_set_cookie(header) is None


def test_tab_is_not_a_forbidden_control() -> None:
    c = parse_set_cookie("a=b\tc")
    assert c is not None and c.value == "b\tc"


def test_attribute_names_are_case_insensitive() -> None:
    c = parse_set_cookie("a=b; pAtH=/x; DOMAIN=Example.COM; secure; HTTPONLY; max-AGE=10")
    assert c is not None
    assert (c.path, c.domain, c.secure, c.http_only, c.max_age) == (
        "/x", "example.com", True, True, 10,
    )


def test_unknown_attributes_are_ignored_not_turned_into_cookies() -> None:
    header = "a=b; Priority=High; foo=bar; Version=1; Comment=x; baz; Path=/p"
    c = parse_set_cookie(header)
    assert c is not None and (c.name, c.value, c.path) == ("a", "b", "/p")
    pairs = parse_set_cookie_headers([header])
    assert [name for name, _ in pairs] == ["a"]
    # The standard library's parser gets this one wrong: it drops the whole header.
    loaded: SimpleCookie = SimpleCookie()
    loaded.load(header)
    assert "a" not in loaded


def test_last_attribute_of_a_kind_wins() -> None:
    c = parse_set_cookie("a=b; Path=/one; Path=/two; Domain=x.example; Domain=y.example")
    assert c is not None and (c.path, c.domain) == ("/two", "y.example")


def test_domain_leading_dot_dropped_and_empty_domain_ignored() -> None:
    c = parse_set_cookie("a=b; Domain=.Example.com")
    assert c is not None and c.domain == "example.com"
    c = parse_set_cookie("a=b; Domain=example.com; Domain=")
    assert c is not None and c.domain == "example.com"  # §5.2.3: an empty value is skipped


def test_idna_domain_is_canonicalized() -> None:
    c = parse_set_cookie("a=b; Domain=Bücher.example")
    assert c is not None and c.domain == "xn--bcher-kva.example"


@pytest.mark.parametrize(("path", "kept"), [("/a/b", "/a/b"), ("", None), ("relative", None)])
def test_path_must_start_with_slash(path: str, kept: str | None) -> None:
    c = parse_set_cookie(f"a=b; Path={path}")
    assert c is not None and c.path == kept


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("100", 100), ("0", 0), ("-5", -5), ("+5", None), ("1.5", None), ("", None), ("abc", None),
     ("10abc", None)],
)
def test_max_age_syntax_section_5_2_2(value: str, parsed: int | None) -> None:
    c = parse_set_cookie(f"a=b; Max-Age={value}")
    assert c is not None and c.max_age == parsed


def test_invalid_expires_is_ignored_valid_one_kept() -> None:
    c = parse_set_cookie("a=b; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Expires=soon")
    assert c is not None and c.expires == 784111777.0


def test_samesite_and_partitioned() -> None:
    c = parse_set_cookie("a=b; SameSite=lax; Partitioned; Secure")
    assert c is not None and (c.same_site, c.partitioned) == ("Lax", True)
    unknown = parse_set_cookie("a=b; SameSite=Sometimes")
    assert unknown is not None and unknown.same_site is None


def test_overlong_attribute_value_is_ignored() -> None:
    c = parse_set_cookie("a=b; Path=/" + "x" * 1024)
    assert c is not None and c.path is None
    c = parse_set_cookie("a=b; Path=/" + "x" * 1023)
    assert c is not None and c.path == "/" + "x" * 1023


def test_quoted_value_is_kept_on_the_wire_and_unquoted_for_reading() -> None:
    c = parse_set_cookie('a="x\\073y"; Path=/')
    assert c is not None and c.coded_value == '"x\\073y"' and c.value == "x;y"


def test_parse_set_cookie_headers_gives_morsels_with_attributes() -> None:
    pairs = parse_set_cookie_headers(
        [
            "sid=1; Domain=.example.com; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT; "
            "Max-Age=60; Secure; HttpOnly; SameSite=Strict; Partitioned",
            "broken",
            "two=2",
        ]
    )
    assert [name for name, _ in pairs] == ["sid", "two"]
    morsel = pairs[0][1]
    assert isinstance(morsel, JarMorsel)
    assert morsel["domain"] == ".example.com"
    assert morsel["path"] == "/"
    assert morsel["expires"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert morsel["max-age"] == "60"
    assert morsel["secure"] and morsel["httponly"] and morsel["partitioned"]
    assert morsel["samesite"] == "Strict"
    assert "Partitioned" in morsel.OutputString()


@given(st.text(max_size=200))
def test_parser_is_total_and_never_yields_unsendable_names(header: str) -> None:
    c = parse_set_cookie(header)
    if c is not None:
        assert c.name and ";" not in c.name and "=" not in c.name
        assert ";" not in c.coded_value
        assert c.name == c.name.strip(" \t")
