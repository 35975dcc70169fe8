"""The RFC 2109 quoting routine the reference describes, both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketch_cookies import quote, unquote


@pytest.mark.parametrize(
    ("value", "coded"),
    [
        ("plain", "plain"),
        ("a.b-c_d~e!#$%&'*+^`|:", "a.b-c_d~e!#$%&'*+^`|:"),  # token characters: as they are
        ("", ""),
        ("with space", '"with space"'),  # quoted, the space itself as is
        ("a,b", '"a\\054b"'),  # "," is escaped, as browsers split on it
        ("a;b", '"a\\073b"'),  # ";" too
        ('say "hi"', '"say \\"hi\\""'),  # '"' gets a backslash
        ("back\\slash", '"back\\\\slash"'),  # '\' gets a backslash
        ("tab\there", '"tab\\011here"'),  # a non-text character: three-digit octal
        ("nul\x00", '"nul\\000"'),
        ("é", '"\\351"'),  # Latin-1 beyond ASCII is octal too
        ("{[x]}=(y)", '"{[x]}=(y)"'),
    ],
)
def test_quote(value: str, coded: str) -> None:
    assert quote(value) == coded
    assert unquote(coded) == value


def test_unquote_leaves_unquoted_text_alone() -> None:
    assert unquote("abc") == "abc"
    assert unquote('"abc') == '"abc'  # not a complete quoted string
    assert unquote('"') == '"'
    assert unquote('"\\q"') == "q"  # a backslash before any other character drops


@given(st.text())
def test_unquote_reverses_quote(value: str) -> None:
    assert unquote(quote(value)) == value


@given(st.text())
def test_quoted_values_never_hold_separators_or_controls(value: str) -> None:
    coded = quote(value)
    inner = coded[1:-1] if coded != value else coded
    assert ";" not in inner and "," not in inner
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in coded)
