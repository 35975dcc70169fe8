"""Saving and loading cookies: versioned JSON, and the Netscape ``cookies.txt`` format.

Nothing here trusts the file. Reads are bounded in size, every field is checked for type
and for the rules the jar enforces on cookies from servers (syntax, size, public suffixes,
name prefixes), and any problem raises :class:`CookieFileError` naming the entry, the field
and the value — before the jar changes. Writes go to a temporary file readable by the owner
only (cookies are credentials) that then replaces the target in one step.

JSON layout (version 1)::

    {"format": "ketch-cookies", "version": 1, "cookies": [
      {"name": "sid", "value": "abc", "coded_value": "abc", "domain": "example.com",
       "host_only": true, "path": "/", "secure": true, "http_only": true,
       "expires": 1767225600.0, "creation": 1764000000.0, "last_access": 1764000000.0,
       "same_site": "Lax", "partitioned": false}]}

``expires`` is absolute (seconds since the epoch) or null for a session cookie; an empty
``domain`` marks a shared cookie (sent to every host).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from os import PathLike
from typing import Any

from ._cookie import StoredCookie
from ._dates import MAX_TIMESTAMP
from ._domains import canonical_domain, is_ip_address
from ._exceptions import CookieFileError, InvalidCookieError
from ._parse import check_name
from ._quoting import unquote
from ._settings import CookieLimits

__all__ = ["Checker", "check_counts", "load_json", "load_netscape", "save_json", "save_netscape"]

FORMAT = "ketch-cookies"
VERSION = 1
_FIELDS = (
    "name", "value", "coded_value", "domain", "host_only", "path", "secure", "http_only",
    "expires", "creation", "last_access", "same_site", "partitioned",
)
_FIELD_SET = frozenset(_FIELDS)
_BAD_CODED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f;]")
_SAME_SITE = frozenset({"Strict", "Lax", "None"})
_MAX_PATH = 1024  # RFC 6265bis §5.6: longer attribute values are ignored
_MAX_DOMAIN = 253
_NETSCAPE_HEADER = "# Netscape HTTP Cookie File"
_HTTP_ONLY_PREFIX = "#HttpOnly_"
Path = str | PathLike[str]


class _Bad(Exception):
    """One field is wrong; turned into a CookieFileError naming the entry."""


class Checker:
    """Checks the cookies of a file against the jar's limits and rules."""

    def __init__(
        self, limits: CookieLimits, is_public_suffix: Callable[[str], bool] | None, now: float
    ) -> None:
        self.limits = limits
        self.is_public_suffix = is_public_suffix
        self.now = now
        # The largest file worth reading: every cookie at full size, JSON-escaped.
        per_cookie = 6 * (2 * limits.max_cookie_size + _MAX_PATH + _MAX_DOMAIN) + 512
        self.max_file_size = limits.max_cookies * per_cookie + 4096

    def cookie(self, c: StoredCookie) -> StoredCookie | None:
        """Check one cookie; None when it has expired (skipped, not an error)."""
        try:
            check_name(c.name)
        except InvalidCookieError as exc:
            raise _Bad(str(exc)) from None
        if _BAD_CODED.search(c.coded_value):
            raise _Bad(f"value {c.coded_value!r} holds a control character or ';'")
        size = len(c.name) + max(len(c.coded_value), len(c.value))
        if size > self.limits.max_cookie_size:
            raise _Bad(
                f"cookie {c.name!r} is {size} characters, over the limit of "
                f"{self.limits.max_cookie_size}"
            )
        self._scope(c)
        if not c.path.startswith("/") or len(c.path) > _MAX_PATH or _BAD_CODED.search(c.path):
            raise _Bad(f"invalid path {c.path[:80]!r}")
        if c.domain:
            self._prefixes(c)
        if c.expires is not None:
            if c.expires <= self.now:
                return None
            lifetime = self.limits.max_lifetime
            if lifetime is not None:
                c.expires = min(c.expires, self.now + lifetime)
            c.expires = min(c.expires, MAX_TIMESTAMP)
        return c

    def _scope(self, c: StoredCookie) -> None:
        domain = c.domain
        if not domain:
            if c.host_only:
                raise _Bad("a host-only cookie needs a domain")
            return
        if len(domain) > _MAX_DOMAIN or not (
            canonical_domain(domain) == domain or is_ip_address(domain)
        ):
            raise _Bad(f"invalid domain {domain[:80]!r}")
        check = self.is_public_suffix
        if not c.host_only and check is not None and check(domain):
            raise _Bad(f"domain {domain!r} is a public suffix and cannot scope a cookie")

    @staticmethod
    def _prefixes(c: StoredCookie) -> None:
        prefix = c.name[:9].lower()
        if prefix == "__secure-" and not c.secure:
            raise _Bad(f"cookie {c.name!r} has the __Secure- prefix but is not Secure")
        if prefix[:7] == "__host-" and not (c.secure and c.host_only and c.path == "/"):
            raise _Bad(f"cookie {c.name!r} breaks the __Host- prefix rules")


def check_counts(path: Path, cookies: Iterable[StoredCookie], limits: CookieLimits) -> None:
    """Refuse more cookies than the jar may hold, in all or for one domain."""
    cookies = list(cookies)
    if len(cookies) > limits.max_cookies:
        raise CookieFileError(
            path, f"{len(cookies)} cookies, over the jar's limit of {limits.max_cookies}"
        )
    if cookies:
        domain, count = Counter(c.domain for c in cookies).most_common(1)[0]
        if count > limits.max_cookies_per_domain:
            raise CookieFileError(
                path,
                f"{count} cookies for domain {domain!r}, over the limit of "
                f"{limits.max_cookies_per_domain}",
            )


def _read_text(path: Path, limit: int) -> str:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise CookieFileError(path, f"file is larger than {limit} bytes, the most the jar holds")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CookieFileError(path, f"not UTF-8 text ({exc})") from exc


def _write_private(path: Path, text: str) -> None:
    """Write *text* to a 0600 temporary file beside *path*, then move it into place."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cookies-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


# ---- JSON --------------------------------------------------------------------------


def save_json(path: Path, cookies: Iterable[StoredCookie]) -> None:
    """Write the cookies in the versioned JSON layout described above."""
    entries = [
        {
            "name": c.name, "value": c.value, "coded_value": c.coded_value,
            "domain": c.domain, "host_only": c.host_only, "path": c.path,
            "secure": c.secure, "http_only": c.http_only, "expires": c.expires,
            "creation": c.creation, "last_access": c.last_access,
            "same_site": c.same_site, "partitioned": c.partitioned,
        }
        for c in cookies
    ]
    doc = {"format": FORMAT, "version": VERSION, "cookies": entries}
    _write_private(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid number here")


def load_json(path: Path, checker: Checker, now: float) -> list[StoredCookie]:
    """Read and check a file written by :func:`save_json`."""
    text = _read_text(path, checker.max_file_size)
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise CookieFileError(path, f"not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CookieFileError(path, f"not a {FORMAT} file (no \"format\": \"{FORMAT}\")")
    version = doc.get("version")
    if version != VERSION or isinstance(version, bool):
        raise CookieFileError(
            path, f"unsupported version {version!r} (this jar reads version {VERSION})"
        )
    entries = doc.get("cookies")
    if not isinstance(entries, list) or set(doc) != {"format", "version", "cookies"}:
        raise CookieFileError(
            path, "the document must hold exactly \"format\", \"version\" and a \"cookies\" list"
        )
    if len(entries) > checker.limits.max_cookies:
        raise CookieFileError(
            path, f"{len(entries)} cookies, over the jar's limit of {checker.limits.max_cookies}"
        )
    cookies: dict[tuple[str, str, str], StoredCookie] = {}
    for index, entry in enumerate(entries):
        try:
            c = _cookie_from_entry(entry, index)
            if c.key in cookies:
                raise _Bad(f"duplicate of an earlier cookie ({c.domain!r}, {c.path!r}, {c.name!r})")
            checked = checker.cookie(c)
        except _Bad as exc:
            raise CookieFileError(path, f"cookie #{index}: {exc}") from None
        if checked is not None:
            cookies[c.key] = checked
    check_counts(path, cookies.values(), checker.limits)
    return list(cookies.values())


def _field(
    entry: dict[str, Any], name: str, kind: type | tuple[type, ...], nullable: bool = False
) -> Any:
    value = entry[name]
    if value is None and nullable:
        return None
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if isinstance(value, float) and not math.isfinite(value):
        ok = False
    if not ok:
        expected = "true or false" if kind is bool else (
            "a string" if kind is str else "a finite number"
        )
        or_null = " or null" if nullable else ""
        raise _Bad(f"field {name!r} must be {expected}{or_null}, got {value!r:.80}")
    return value


def _cookie_from_entry(entry: object, index: int) -> StoredCookie:
    if not isinstance(entry, dict):
        raise _Bad(f"must be an object, got {type(entry).__name__}")
    keys = set(entry)
    if keys != _FIELD_SET:
        missing = sorted(_FIELD_SET - keys)
        extra = sorted(str(k)[:40] for k in keys - _FIELD_SET)
        raise _Bad(f"fields missing {missing}, unknown {extra}")
    number = (int, float)
    same_site = _field(entry, "same_site", str, nullable=True)
    if same_site is not None and same_site not in _SAME_SITE:
        raise _Bad(f"field 'same_site' must be Strict, Lax, None or null, got {same_site!r:.80}")
    expires = _field(entry, "expires", number, nullable=True)
    c = StoredCookie(
        _field(entry, "name", str), _field(entry, "value", str),
        _field(entry, "coded_value", str), _field(entry, "domain", str),
        _field(entry, "path", str),
        host_only=_field(entry, "host_only", bool), secure=_field(entry, "secure", bool),
        http_only=_field(entry, "http_only", bool),
        expires=None if expires is None else float(expires),
        same_site=same_site, partitioned=_field(entry, "partitioned", bool),
        creation=float(_field(entry, "creation", number)), seq=index,
    )
    c.last_access = float(_field(entry, "last_access", number))
    return c


# ---- Netscape cookies.txt ----------------------------------------------------------


def save_netscape(path: Path, cookies: Iterable[StoredCookie]) -> None:
    """Write the cookies as curl writes ``cookies.txt`` (shared cookies have no line)."""
    lines = [_NETSCAPE_HEADER, "# Written by ketch_cookies; edit at your own risk.", ""]
    for c in cookies:
        if not c.domain:
            continue
        domain = c.domain if c.host_only else "." + c.domain
        if c.http_only:
            domain = _HTTP_ONLY_PREFIX + domain
        expires = 0 if c.expires is None else max(1, int(c.expires))
        lines.append(
            "\t".join((
                domain, "FALSE" if c.host_only else "TRUE", c.path,
                "TRUE" if c.secure else "FALSE", str(expires), c.name, c.coded_value,
            ))
        )
    _write_private(path, "\n".join(lines) + "\n")


def _flag(text: str, what: str) -> bool:
    upper = text.upper()
    if upper not in ("TRUE", "FALSE"):
        raise _Bad(f"{what} must be TRUE or FALSE, got {text[:40]!r}")
    return upper == "TRUE"


def _netscape_cookie(line: str, now: float, seq: int) -> StoredCookie:
    http_only = line.startswith(_HTTP_ONLY_PREFIX)
    if http_only:
        line = line[len(_HTTP_ONLY_PREFIX):]
    fields = line.split("\t")
    if len(fields) == 6:
        fields.append("")  # curl writes a cookie without a value with the field left out
    if len(fields) != 7:
        raise _Bad(f"expected 7 tab-separated fields, got {len(fields)}")
    domain, subdomains, path, secure, expires_text, name, coded = fields
    if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
        raise _Bad(f"expiry must be a whole number of seconds, got {expires_text[:40]!r}")
    expires = int(expires_text)
    include_subdomains = _flag(subdomains, "the subdomains field")
    bare = domain[1:] if domain.startswith(".") else domain
    c = StoredCookie(
        name, unquote(coded), coded, canonical_domain(bare) or bare.lower(), path,
        host_only=not include_subdomains, secure=_flag(secure, "the secure field"),
        http_only=http_only, expires=float(expires) if expires else None,
        same_site=None, partitioned=False, creation=now, seq=seq,
    )
    if not bare:
        raise _Bad("empty domain")
    return c


def load_netscape(path: Path, checker: Checker, now: float) -> list[StoredCookie]:
    """Read and check a Netscape ``cookies.txt`` file."""
    text = _read_text(path, checker.max_file_size)
    cookies: dict[tuple[str, str, str], StoredCookie] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\r\n ")
        if not line or (line.startswith("#") and not line.startswith(_HTTP_ONLY_PREFIX)):
            continue
        try:
            c = _netscape_cookie(line, now, number)
            checked = checker.cookie(c)
        except _Bad as exc:
            raise CookieFileError(path, f"line {number}: {exc}") from None
        if checked is not None:
            cookies[c.key] = checked  # a later line for the same cookie wins, as in curl
    check_counts(path, cookies.values(), checker.limits)
    return list(cookies.values())
