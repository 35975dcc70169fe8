"""Domain matching (§5.1.3), IP detection, and public suffix lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketch_cookies import BUILTIN_PUBLIC_SUFFIXES, PublicSuffixList
from ketch_cookies._domains import domain_match, is_ip_address


@pytest.mark.parametrize(
    ("host", "domain", "matches"),
    [
        ("example.com", "example.com", True),
        ("www.example.com", "example.com", True),
        ("a.b.example.com", "example.com", True),
        ("badexample.com", "example.com", False),  # not at a dot boundary
        ("example.com", "www.example.com", False),
        ("example.com.", "example.com", False),
        ("1.2.3.4", "2.3.4", False),  # IP addresses match only themselves
        ("1.2.3.4", "1.2.3.4", True),
    ],
)
def test_domain_match(host: str, domain: str, matches: bool) -> None:
    assert domain_match(host, domain) is matches


@pytest.mark.parametrize(
    ("host", "is_ip"),
    [("127.0.0.1", True), ("::1", True), ("2001:db8::1", True), ("example.com", False),
     ("1.example", False), ("example.123", False), ("", False), (None, False)],
)
def test_is_ip_address(host: str | None, is_ip: bool) -> None:
    assert is_ip_address(host) is is_ip


@pytest.mark.parametrize(
    ("domain", "public"),
    [("com", True), ("co.uk", True), ("github.io", True), ("localhost", True),
     ("example.com", False), ("example.co.uk", False), ("user.github.io", False),
     ("anything.ck", True), ("www.ck", False)],
)
def test_builtin_list(domain: str, public: bool) -> None:
    assert BUILTIN_PUBLIC_SUFFIXES(domain) is public


def test_full_list_format_with_wildcards_and_exceptions(tmp_path: Path) -> None:
    dat = tmp_path / "public_suffix_list.dat"
    dat.write_text(
        "// ===BEGIN ICANN DOMAINS===\n"
        "jp\n"
        "kawasaki.jp\n"
        "*.kawasaki.jp\n"
        "!city.kawasaki.jp\n"
        "\n"
        "// comment\n"
        "食狮.中国  trailing words are ignored\n",
        encoding="utf-8",
    )
    psl = PublicSuffixList.from_file(dat)
    assert psl("jp") and psl("kawasaki.jp") and psl("foo.kawasaki.jp")
    assert not psl("city.kawasaki.jp")  # the exception rule
    assert not psl("example.foo.kawasaki.jp")
    assert psl("xn--85x722f.xn--fiqs8s")  # rules are read in Unicode, matched as IDNA
    assert not psl("example.xn--85x722f.xn--fiqs8s")
    assert psl("unlisted")  # the implicit "*" rule


def test_malformed_rule_is_refused_with_its_text() -> None:
    with pytest.raises(ValueError, match=r"'a\.\*\.b'"):
        PublicSuffixList(["a.*.b"])
