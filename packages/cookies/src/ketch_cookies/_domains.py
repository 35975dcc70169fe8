"""Host names, domain matching and public suffixes (RFC 6265 §5.1.2, §5.1.3, §5.3 step 5).

Hosts arrive canonical from yarl (lower case, IDNA-encoded, IPv6 without brackets). A
``Domain`` attribute is canonicalized here the same way. A public suffix decides whether a
``Domain`` attribute may widen a cookie's scope; :class:`PublicSuffixList` reads the rules of
https://publicsuffix.org (normal, wildcard and exception rules) so the full list can be plugged
in, and the jar ships a small built-in list of the common suffixes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from os import PathLike

from yarl import URL

__all__ = [
    "BUILTIN_PUBLIC_SUFFIXES",
    "PublicSuffixList",
    "canonical_domain",
    "domain_match",
    "is_ip_address",
]

_ASCII_DOMAIN = re.compile(r"[a-z0-9._-]+", re.ASCII)


@lru_cache(maxsize=4096)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_ip_address(host: str | None) -> bool:
    """Whether *host* (as yarl spells it: IPv6 without brackets) is an IP address literal.

    Args:
        host: a canonical host, or None.

    Returns:
        True for IPv4 and IPv6 literals.
    """
    # A host name's last label is never all digits, and only IPv6 has ':' (a cheap gate).
    if not host or not (host[-1].isdigit() or ":" in host):
        return False
    return _is_ip(host)


def canonical_domain(value: str) -> str | None:
    """Canonicalize a ``Domain`` attribute value (RFC 6265 §5.2.3, §5.1.2).

    Args:
        value: the attribute value with its leading dot already removed.

    Returns:
        The lower-case, IDNA-encoded domain, or None when it cannot be a host name.
    """
    lowered = value.lower()
    if _ASCII_DOMAIN.fullmatch(lowered):
        return lowered
    if not lowered.isascii():
        try:
            host = URL.build(scheme="http", host=lowered).raw_host
        except (ValueError, UnicodeError):
            return None
        return host
    return None


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: whether *host* domain-matches *domain*.

    Args:
        host: the canonical request host.
        domain: the canonical cookie domain.

    Returns:
        True when they are identical, or *domain* is a dot-separated suffix of a host name.
    """
    if host == domain:
        return True
    return (
        host.endswith(domain)
        and host[-len(domain) - 1] == "."
        and not is_ip_address(host)
    )


class PublicSuffixList:
    """Public suffix rules in the format of https://publicsuffix.org/list/.

    Calling the object tells whether a domain *is* a public suffix (``co.uk``: yes,
    ``example.co.uk``: no). Per the list's algorithm, a single label with no rule
    (``localhost``, ``internal``) is a public suffix too (the implicit ``*`` rule).

    Args:
        rules: the rule lines; blank lines and ``//`` comments are skipped, and only
            the first whitespace-separated word of a line is read (as the format says).

    Raises:
        ValueError: a rule is not a valid domain pattern (names the rule).
    """

    __module__ = "ketch_cookies"

    __slots__ = ("_exceptions", "_rules", "_wildcards")

    def __init__(self, rules: Iterable[str]) -> None:
        self._rules: set[str] = set()
        self._wildcards: set[str] = set()
        self._exceptions: set[str] = set()
        for line in rules:
            word = line.strip().split(None, 1)[0] if line.strip() else ""
            if not word or word.startswith("//"):
                continue
            self._add(word)

    def _add(self, word: str) -> None:
        if word.startswith("!"):
            target, bucket = word[1:], self._exceptions
        elif word.startswith("*."):
            target, bucket = word[2:], self._wildcards
        else:
            target, bucket = word, self._rules
        domain = canonical_domain(target)
        if domain is None or not domain or "*" in target or domain.startswith("."):
            raise ValueError(f"invalid public suffix rule {word!r}")
        bucket.add(domain)

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> PublicSuffixList:
        """Read a ``public_suffix_list.dat`` file (UTF-8).

        Args:
            path: the file to read.

        Returns:
            The list.

        Raises:
            OSError: the file cannot be read.
            ValueError: a rule is malformed.
        """
        with open(path, encoding="utf-8") as f:
            return cls(f)

    def __call__(self, domain: str) -> bool:
        """Whether the canonical *domain* is itself a public suffix."""
        if domain in self._exceptions:
            return False
        if domain in self._rules:
            return True
        dot = domain.find(".")
        if dot < 0:
            return True  # the implicit "*" rule
        return domain[dot + 1 :] in self._wildcards

    def __len__(self) -> int:
        return len(self._rules) + len(self._wildcards) + len(self._exceptions)


# The common suffixes: generic and country TLDs with their usual second levels, and the
# large hosting platforms where sibling sites belong to different people. Plug the full
# list with ``CookieJar(public_suffixes=PublicSuffixList.from_file(...))``.
_BUILTIN_RULES = """
com net org edu gov mil int info biz name pro mobi arpa aero coop museum
io co ai app dev page me tv cc ws xyz online site top club shop store blog cloud tech
us ca mx br ar cl pe ve uk ie fr de nl be lu ch at it es pt gr pl cz sk hu ro bg dk se
no fi is ee lv lt ru ua by tr il ae sa in pk cn hk tw jp kr sg my th vn id ph au nz za
ng ke eg eu asia
co.uk org.uk me.uk ltd.uk plc.uk net.uk ac.uk gov.uk sch.uk nhs.uk police.uk
com.au net.au org.au edu.au gov.au asn.au id.au co.nz net.nz org.nz govt.nz ac.nz
co.jp ne.jp or.jp ac.jp go.jp ad.jp gr.jp ed.jp lg.jp
com.cn net.cn org.cn gov.cn edu.cn ac.cn com.hk net.hk org.hk edu.hk gov.hk
com.tw net.tw org.tw edu.tw gov.tw co.kr or.kr ne.kr ac.kr go.kr re.kr
com.sg net.sg org.sg edu.sg gov.sg com.my net.my org.my edu.my gov.my
co.th in.th ac.th go.th or.th com.vn net.vn org.vn edu.vn gov.vn
co.id or.id ac.id go.id web.id com.ph net.ph org.ph edu.ph gov.ph
co.in net.in org.in firm.in gen.in ind.in ac.in edu.in gov.in res.in
com.pk net.pk org.pk edu.pk gov.pk com.tr net.tr org.tr edu.tr gov.tr
co.il org.il net.il ac.il gov.il muni.il com.sa net.sa org.sa edu.sa gov.sa
co.ae net.ae org.ae ac.ae gov.ae com.eg edu.eg gov.eg co.ke or.ke ac.ke go.ke
co.za org.za net.za gov.za ac.za edu.za web.za com.ng org.ng edu.ng gov.ng
com.br net.br org.br gov.br edu.br art.br blog.br com.mx net.mx org.mx edu.mx gob.mx
com.ar net.ar org.ar edu.ar gob.ar gov.ar com.pe org.pe edu.pe gob.pe
com.ve co.ve org.ve gob.ve cl gob.cl qc.ca on.ca bc.ca ab.ca
com.ua net.ua org.ua edu.ua gov.ua in.ua com.ru net.ru org.ru msk.ru spb.ru
com.pl net.pl org.pl edu.pl gov.pl com.gr edu.gr gov.gr co.at or.at ac.at gv.at
com.es org.es edu.es gob.es com.pt org.pt edu.pt gov.pt co.it gov.it edu.it
com.tr co.hu com.ro org.ro co.no priv.no com.de
github.io githubusercontent.com gitlab.io pages.dev workers.dev vercel.app netlify.app
herokuapp.com herokussl.com appspot.com firebaseapp.com web.app blogspot.com
cloudfront.net azurewebsites.net cloudapp.net azurestaticapps.net trafficmanager.net
amazonaws.com s3.amazonaws.com elasticbeanstalk.com fly.dev onrender.com
glitch.me repl.co ngrok.io ngrok-free.app readthedocs.io pythonanywhere.com
*.compute.amazonaws.com *.ck *.bd *.np *.er *.fk *.jm *.kh *.mm *.pg
!www.ck
"""

BUILTIN_PUBLIC_SUFFIXES = PublicSuffixList(_BUILTIN_RULES.split())
