"""RFC 6265 §5.1.1 cookie dates, and the RFC 1123 form the jar writes."""

from __future__ import annotations

import calendar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketch_cookies._dates import format_cookie_date, parse_cookie_date

EXPECTED = float(calendar.timegm((1994, 11, 6, 8, 49, 37)))


@pytest.mark.parametrize(
    "text",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # RFC 1123
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime
        "Sun, 06-Nov-1994 08:49:37 GMT",  # Netscape's original draft
        "06 Nov 1994 08:49:37",  # no weekday, no zone
        "Sun, 6 Nov 1994 8:49:37 GMT",  # one-digit day and hour
        "sun, 06 NOV 1994 08:49:37 gmt",  # case does not matter
        "Nov 06 08:49:37 1994",  # order does not matter
        "Sun, 06 November 1994 08:49:37 GMT",  # month spelled out
        "06/Nov/1994/08:49:37",  # "/" is a delimiter like any other
        "Sun,06 Nov 1994 08:49:37 +0000",
    ],
)
def test_every_form_section_5_1_1_accepts(text: str) -> None:
    assert parse_cookie_date(text) == EXPECTED


def test_colon_is_not_a_delimiter() -> None:
    # "1994:08:49:37" is one token: it reads as the year, and no time is left.
    assert parse_cookie_date("06 Nov 1994:08:49:37") is None


@pytest.mark.parametrize(
    ("text", "year"),
    [("Thu, 01 Jan 70 00:00:00 GMT", 1970), ("Fri, 01 Jan 99 00:00:00 GMT", 1999),
     ("Sat, 01 Jan 00 00:00:00 GMT", 2000), ("Sun, 01 Jan 69 00:00:00 GMT", 2069)],
)
def test_two_digit_years_step_3_and_4(text: str, year: int) -> None:
    assert parse_cookie_date(text) == calendar.timegm((year, 1, 1, 0, 0, 0))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "Sun, 06 Nov 1994",  # no time
        "Sun, Nov 1994 08:49:37",  # no day
        "Sun, 06 1994 08:49:37",  # no month
        "Sun, 06 Nov 08:49:37",  # no year
        "Sun, 32 Nov 1994 08:49:37 GMT",  # day out of range
        "Sun, 06 Nov 1600 08:49:37 GMT",  # before 1601
        "Sun, 06 Nov 1994 24:00:00 GMT",  # hour out of range
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:00:60 GMT",
        "Mon, 30 Feb 2015 00:00:00 GMT",  # a date that does not exist
        "Sun, 06 Nov 19945 08:49:37 GMT",  # five-digit year is not a year
    ],
)
def test_invalid_dates_are_none(text: str) -> None:
    assert parse_cookie_date(text) is None


def test_leap_day_is_valid() -> None:
    assert parse_cookie_date("Thu, 29 Feb 2024 12:00:00 GMT") == calendar.timegm(
        (2024, 2, 29, 12, 0, 0)
    )


def test_format_is_rfc_1123() -> None:
    assert format_cookie_date(EXPECTED) == "Sun, 06 Nov 1994 08:49:37 GMT"


@given(st.integers(min_value=0, max_value=253_402_300_799))  # up to 9999-12-31
def test_format_then_parse_round_trips(timestamp: int) -> None:
    assert parse_cookie_date(format_cookie_date(timestamp)) == timestamp
