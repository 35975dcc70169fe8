"""Cookie dates: RFC 6265 §5.1.1 parsing and the RFC 1123 form used when writing them."""

from __future__ import annotations

import calendar
import re
import time

__all__ = ["MAX_TIMESTAMP", "format_cookie_date", "parse_cookie_date"]

# 9999-12-31 23:59:59 UTC: the last moment a four-digit cookie date can name. Later expiry
# times are brought back to it, so every stored time can be written as a date.
MAX_TIMESTAMP = 253402300799.0

# §5.1.1: delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E; tokens are the rest.
_DATE_TOKEN = re.compile(r"[^\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
# Each production may be followed by a non-digit and anything after it (§5.1.1 grammar).
_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?", re.ASCII | re.DOTALL)
_DAY = re.compile(r"(\d{1,2})(?:\D.*)?", re.ASCII | re.DOTALL)
_YEAR = re.compile(r"(\d{2,4})(?:\D.*)?", re.ASCII | re.DOTALL)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_cookie_date(text: str) -> float | None:
    """Parse a cookie date the way RFC 6265 §5.1.1 says user agents must.

    Every form servers send is accepted (RFC 1123, RFC 850, asctime, and the many
    variants in between): tokens are classified as time, day, month or year in the
    order the algorithm gives, whatever separates them.

    Args:
        text: the ``Expires`` attribute value.

    Returns:
        Seconds since the epoch (UTC), or None when the date is not valid.
    """
    hms: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DATE_TOKEN.findall(text):
        if hms is None and (m := _TIME.fullmatch(token)):
            hms = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DAY.fullmatch(token)):
            day = int(m[1])
        elif month is None and (mon := _MONTHS.get(token[:3].lower())) is not None:
            month = mon
        elif year is None and (m := _YEAR.fullmatch(token)):
            year = int(m[1])
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = hms
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None  # "Feb 30": §5.1.1 step 5 fails on a date that does not exist
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def format_cookie_date(timestamp: float) -> str:
    """Write *timestamp* as an RFC 1123 date (``Wed, 21 Oct 2015 07:28:00 GMT``).

    Args:
        timestamp: seconds since the epoch.

    Returns:
        The date in the form servers send in ``Expires``.
    """
    t = time.gmtime(timestamp)
    return (
        f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTH_NAMES[t.tm_mon - 1]} "
        f"{t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
