"""``Set-Cookie`` parsing per RFC 6265 §5.2, and the other ways a cookie enters the jar.

Every source — a raw header, a ``Morsel``, a plain name and value — becomes one
:class:`ParsedCookie`, which the jar then stores by the rules of §5.3. The parser is
total: any string gives a cookie or None (§5.2 "ignore the set-cookie-string"), never an
exception, and unknown attributes are skipped instead of becoming cookies of their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from http.cookies import Morsel
from typing import Any

from ._cookie import JarMorsel, set_flags, set_state
from ._dates import parse_cookie_date
from ._domains import canonical_domain
from ._exceptions import InvalidCookieError
from ._quoting import quote, unquote

__all__ = [
    "ParsedCookie",
    "check_name",
    "cookie_from_morsel",
    "cookie_from_value",
    "parse_set_cookie",
    "parse_set_cookie_headers",
]

# RFC 6265bis §5.6 step 1: control characters other than HTAB void the whole header.
_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A name can hold anything a Cookie header can carry back: no CTLs, no ";" and no "=".
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f;=]")
_WSP = " \t"
# RFC 6265bis §5.6: attribute values longer than this are ignored.
MAX_ATTRIBUTE_VALUE = 1024
_SAME_SITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_MAX_AGE = re.compile(r"-?[0-9]+", re.ASCII)


class ParsedCookie:
    """A cookie as received, before the storage rules of §5.3 are applied.

    ``max_age`` and ``expires`` keep the last valid attribute of each (§5.3 step 3
    gives Max-Age precedence); ``domain`` is canonical, without its leading dot;
    ``path`` is None when absent or not starting with "/" (§5.2.4: use the default).
    The ``*_attr`` fields keep the attribute text as received, for ``Morsel`` views.
    """

    __slots__ = (
        "coded_value",
        "domain",
        "domain_attr",
        "expires",
        "expires_attr",
        "http_only",
        "max_age",
        "max_age_attr",
        "name",
        "partitioned",
        "path",
        "same_site",
        "secure",
        "value",
    )

    def __init__(self, name: str, value: str, coded_value: str) -> None:
        self.name = name
        self.value = value
        self.coded_value = coded_value
        self.expires: float | None = None
        self.expires_attr: str | None = None
        self.max_age: int | None = None
        self.max_age_attr: str | None = None
        self.domain: str | None = None
        self.domain_attr: str | None = None
        self.path: str | None = None
        self.secure = False
        self.http_only = False
        self.same_site: str | None = None
        self.partitioned = False

    def set_max_age(self, text: str) -> None:
        """§5.2.2: digits with an optional leading "-", anything else is ignored."""
        if _MAX_AGE.fullmatch(text):
            self.max_age = int(text)
            self.max_age_attr = text

    def set_domain(self, text: str) -> None:
        """§5.2.3: an empty value is ignored; one leading dot is dropped; lower case."""
        if not text:
            return
        bare = text[1:] if text[0] == "." else text
        self.domain = canonical_domain(bare) or bare.lower()
        self.domain_attr = text

    def to_morsel(self) -> JarMorsel:
        """A ``Morsel`` holding the cookie and its attributes as received."""
        morsel = JarMorsel()
        set_state(morsel, self.name, self.value, self.coded_value)
        if self.domain_attr is not None:
            morsel["domain"] = self.domain_attr
        if self.path is not None:
            morsel["path"] = self.path
        if self.expires_attr is not None:
            morsel["expires"] = self.expires_attr
        if self.max_age_attr is not None:
            morsel["max-age"] = self.max_age_attr
        set_flags(morsel, self.secure, self.http_only, self.same_site, self.partitioned)
        return morsel


def _apply_attribute(cookie: ParsedCookie, name: str, value: str) -> None:
    """§5.2.1-§5.2.6 plus SameSite (RFC 6265bis §5.6.7) and Partitioned (CHIPS)."""
    if name == "expires":
        when = parse_cookie_date(value)
        if when is not None:
            cookie.expires = when
            cookie.expires_attr = value
    elif name == "max-age":
        cookie.set_max_age(value)
    elif name == "domain":
        cookie.set_domain(value)
    elif name == "path":
        cookie.path = value if value[:1] == "/" else None
    elif name == "secure":
        cookie.secure = True
    elif name == "httponly":
        cookie.http_only = True
    elif name == "samesite":
        cookie.same_site = _SAME_SITE.get(value.lower(), cookie.same_site)
    elif name == "partitioned":
        cookie.partitioned = True
    # Any other attribute is ignored (§5.2 step 6 of the attribute loop).


def parse_set_cookie(header: str) -> ParsedCookie | None:
    """Parse one ``Set-Cookie`` header value by the algorithm of RFC 6265 §5.2.

    Args:
        header: the field value, as decoded by the HTTP layer.

    Returns:
        The cookie, or None when the algorithm says to ignore the header: no "=" in the
        name-value pair, an empty name, or control characters anywhere.
    """
    if _CTL.search(header):
        return None
    pair, _, attributes = header.partition(";")
    name, eq, raw_value = pair.partition("=")
    if not eq:
        return None
    name = name.strip(_WSP)
    if not name:
        return None
    raw_value = raw_value.strip(_WSP)
    cookie = ParsedCookie(name, unquote(raw_value), raw_value)
    if attributes:
        for av in attributes.split(";"):
            key, _, value = av.partition("=")
            value = value.strip(_WSP)
            if len(value) <= MAX_ATTRIBUTE_VALUE:
                _apply_attribute(cookie, key.strip(_WSP).lower(), value)
    return cookie


def parse_set_cookie_headers(headers: Iterable[str]) -> list[tuple[str, Morsel[str]]]:
    """Parse ``Set-Cookie`` header values into ``Morsel`` objects, RFC 6265 §5.2.

    Unlike ``SimpleCookie.load``, an unknown attribute (``Partitioned`` on older
    Pythons, or anything new) neither drops the header nor becomes a cookie, and
    every date form of §5.1.1 is read. Headers the algorithm ignores are skipped.

    Args:
        headers: the values of the ``Set-Cookie`` fields of one response.

    Returns:
        ``(name, morsel)`` pairs in header order; ``morsel.value`` is unquoted with the
        RFC 2109 routine and ``morsel.coded_value`` is the value exactly as received.
    """
    result: list[tuple[str, Morsel[str]]] = []
    for header in headers:
        cookie = parse_set_cookie(header)
        if cookie is not None:
            result.append((cookie.name, cookie.to_morsel()))
    return result


def check_name(name: str) -> None:
    """Refuse a cookie name that a Cookie header cannot carry.

    Raises:
        InvalidCookieError: the name is empty, has surrounding white space, or holds a
            control character, ";" or "=".
    """
    if not isinstance(name, str):
        raise InvalidCookieError(f"cookie name must be a str, got {type(name).__name__}")
    if not name or name.strip(_WSP) != name or _BAD_NAME.search(name):
        raise InvalidCookieError(
            f"invalid cookie name {name!r}: it must be non-empty, without surrounding "
            "white space, control characters, ';' or '='"
        )


def cookie_from_value(name: str, value: object, quote_cookie: bool) -> ParsedCookie:
    """A cookie given by name and value (``update_cookies({"a": "b"})``).

    Args:
        name: the cookie name.
        value: the value as the application means it.
        quote_cookie: apply the RFC 2109 quoting routine to get the wire form.

    Raises:
        InvalidCookieError: the name is invalid, or (unquoted) the value holds a
            control character or ";", which would change the Cookie header's meaning.
    """
    check_name(name)
    if not isinstance(value, str):
        raise InvalidCookieError(
            f"value of cookie {name!r} must be a str or Morsel, got {type(value).__name__}"
        )
    if quote_cookie:
        return ParsedCookie(name, value, quote(value))
    if _CTL.search(value) or ";" in value:
        raise InvalidCookieError(
            f"value {value!r} of cookie {name!r} holds a control character or ';', "
            "which quote_cookie=False would send unescaped"
        )
    return ParsedCookie(name, value, value)


def _attr(morsel: Morsel[Any], key: str) -> Any:
    # dict.get: a stdlib Morsel has no "partitioned" key before Python 3.14.
    return dict.get(morsel, key, "")


def cookie_from_morsel(name: str, morsel: Morsel[Any], quote_cookie: bool) -> ParsedCookie:
    """A cookie given as a ``Morsel``.

    Its ``coded_value`` goes on the wire; with *quote_cookie* False its ``value`` does,
    as it is (aiohttp's meaning of ``quote_cookie=False``). An ``expires`` attribute that
    is a number means seconds from now (the standard library's ``Morsel`` semantics); as
    text it is a cookie date.

    Raises:
        InvalidCookieError: the name, or the value to send, cannot be sent.
    """
    key = morsel.key if morsel.key else name
    check_name(key)
    value = morsel.value
    coded = morsel.coded_value if quote_cookie else value
    if not isinstance(coded, str) or not isinstance(value, str):
        raise InvalidCookieError(f"Morsel for cookie {key!r} has no str value: {coded!r}")
    if _CTL.search(coded) or ";" in coded:
        raise InvalidCookieError(
            f"value {coded!r} of cookie {key!r} to send holds a control character or ';'"
        )
    cookie = ParsedCookie(key, value, coded)
    expires = _attr(morsel, "expires")
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        if not math.isfinite(expires):
            raise InvalidCookieError(f"expires of cookie {key!r} is not finite: {expires!r}")
        cookie.max_age = int(expires)
    elif isinstance(expires, str) and expires:
        _apply_attribute(cookie, "expires", expires)
    max_age = _attr(morsel, "max-age")
    if max_age != "":
        cookie.set_max_age(str(max_age))
    for attr in ("domain", "path", "samesite"):
        text = _attr(morsel, attr)
        if isinstance(text, str) and text:
            _apply_attribute(cookie, attr, text)
    cookie.secure = bool(_attr(morsel, "secure"))
    cookie.http_only = bool(_attr(morsel, "httponly"))
    cookie.partitioned = bool(_attr(morsel, "partitioned"))
    return cookie
