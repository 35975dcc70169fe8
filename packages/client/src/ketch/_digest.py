"""``DigestAuthMiddleware``: HTTP Digest access authentication (RFC 7616) as a middleware.

Theory of operation. The middleware sends the request; on a ``401`` whose
``WWW-Authenticate`` carries a Digest challenge it computes the credentials and sends the
request once more, and returns whatever that second attempt gets: it never loops. With
``preemptive=True`` (the default, as in aiohttp) the last challenge is remembered, and
later requests inside its protection space (the challenge's ``domain`` URIs, or the
whole origin, RFC 7616 §3.3) carry credentials from the start, counting the nonce up
(``nc``). If such a request still gets a 401, the retry happens only when the server
gave a new nonce or said ``stale=true`` (§3.3): a rejected password is not retried.

Supported: algorithms MD5, SHA-256, SHA-512-256 and their ``-sess`` variants (§3.4.2),
plus aiohttp's extra names SHA (SHA-1) and SHA-512; ``qop=auth`` and ``qop=auth-int``
(the latter when the body is in memory; preferred when offered, as aiohttp does); the
RFC 2069 form when the challenge has no ``qop``; ``opaque``; ``charset=UTF-8``; a
non-ASCII user name is sent as ``username*`` (§3.4.4). When a server offers several
Digest challenges the strongest supported algorithm is used (§3.7). Not supported:
``userhash`` (the user name is always sent in clear; ``userhash=true`` only says the
server *accepts* hashed names, so authentication still works).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import quote

from multidict import CIMultiDict
from yarl import URL

from ._exceptions import ClientError
from ._payload import Payload

__all__ = ["DigestAuthMiddleware", "digest_response", "parse_challenges"]

_NO_SHA512_256 = (
    "digest algorithm SHA-512-256 is not available in this Python: its hashlib (OpenSSL "
    "build) has no 'sha512_256'"
)


def _sha512_256(data: bytes) -> str:
    # hashlib.new("sha512_256") exists only when the OpenSSL Python links against has it.
    try:
        return hashlib.new("sha512_256", data).hexdigest()
    except ValueError as exc:
        raise ValueError(_NO_SHA512_256) from exc


_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda b: hashlib.md5(b).hexdigest(),
    "SHA": lambda b: hashlib.sha1(b).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
    "SHA-512": lambda b: hashlib.sha512(b).hexdigest(),
    "SHA-512-256": _sha512_256,
}
# Preference when several challenges are offered: strongest first (RFC 7616 §3.7).
_STRENGTH = {"SHA-512-256": 5, "SHA-512": 4, "SHA-256": 3, "SHA": 1, "MD5": 0}
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')
_SCHEME = re.compile(rf"[\s,]*({_TOKEN})(?:\s+|$|(?=,))")
_UNESCAPE = re.compile(r"\\(.)")
_ESCAPE = re.compile(r'([\\"])')
_DISCARD_LIMIT = 2**16


def _computable(base: str) -> bool:
    """Whether this Python can compute the digest *base* (SHA-512-256 depends on OpenSSL)."""
    if base != "SHA-512-256":
        return base in _HASHES
    try:
        hashlib.new("sha512_256")
    except ValueError:
        return False
    return True


def parse_challenges(values: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    """Parse ``WWW-Authenticate`` values into ``(scheme, params)`` pairs (RFC 9110 §11.6.1).

    Scheme names are lower-cased, parameter names lower-cased, quoted values unescaped.
    Parsing of a value stops at the first part that fits no challenge syntax.
    """
    out: list[tuple[str, dict[str, str]]] = []
    for value in values:
        pos, n = 0, len(value)
        current: dict[str, str] | None = None
        while pos < n:
            m = _PARAM.match(value, pos) if current is not None else None
            if m is not None and m.end() > pos:
                raw = m.group(2)
                if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                    raw = _UNESCAPE.sub(r"\1", raw[1:-1])
                assert current is not None
                current[m.group(1).lower()] = raw
                pos = m.end()
                continue
            m = _SCHEME.match(value, pos)
            if m is None or m.end() == pos:
                break
            current = {}
            out.append((m.group(1).lower(), current))
            pos = m.end()
    return out


def digest_response(
    *, algorithm: str, username: str, password: str, realm: str, nonce: str, method: str,
    uri: str, qop: str | None = None, nc: str = "00000001", cnonce: str = "",
    body: bytes = b"",
) -> str:
    """The ``response`` value of RFC 7616 §3.4.1 (or RFC 2069's when *qop* is None).

    Raises:
        ValueError: an unsupported algorithm or qop.
    """
    algo = algorithm.upper()
    sess = algo.endswith("-SESS")
    h = _HASHES.get(algo[:-5] if sess else algo)
    if h is None:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    ha1 = h(f"{username}:{realm}:{password}".encode())
    if sess:  # §3.4.2
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    if qop == "auth-int":  # §3.4.3
        ha2 = h(f"{method}:{uri}:{h(body)}".encode())
    elif qop in ("auth", None):
        ha2 = h(f"{method}:{uri}".encode())
    else:
        raise ValueError(f"unsupported digest qop {qop!r}")
    if qop is None:
        return h(f"{ha1}:{nonce}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())


@dataclass(frozen=True, slots=True)
class _Challenge:
    realm: str
    nonce: str
    algorithm: str
    qops: frozenset[str]
    opaque: str | None
    stale: bool
    space: tuple[tuple[str, str], ...]  # (origin, path prefix)


class _RequestLike(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> URL: ...
    @property
    def headers(self) -> CIMultiDict[str]: ...


class _HeadersLike(Protocol):
    def getall(self, key: str, default: list[str]) -> list[str]: ...


class _ResponseLike(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> _HeadersLike: ...
    @property
    def content_length(self) -> int | None: ...
    async def read(self) -> bytes: ...
    def release(self) -> object: ...


_Req = TypeVar("_Req", bound=_RequestLike)
_Resp = TypeVar("_Resp", bound=_ResponseLike)


def _quote(value: str) -> str:
    return '"' + _ESCAPE.sub(r"\\\1", value) + '"'


class DigestAuthMiddleware:
    """HTTP Digest authentication (RFC 7616) as a client middleware (aiohttp 3.12+).

    Use it as ``ClientSession(middlewares=(DigestAuthMiddleware(login, password),))``.

    Args:
        login: the user name.
        password: the password.
        preemptive: send credentials with later requests in the same protection space
            without waiting for a 401.

    Raises:
        ValueError: *login* or *password* is None, or *login* contains ``:``.
    """

    def __init__(self, login: str, password: str, preemptive: bool = True) -> None:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError(f'A ":" is not allowed in username, got {login!r}')
        self._login = login
        self._password = password
        self._preemptive = preemptive
        self._challenge: _Challenge | None = None
        self._nonce_count = 0

    async def __call__(self, request: _Req, handler: Callable[[_Req], Awaitable[_Resp]]) -> _Resp:
        """Send *request* through *handler*, answering one Digest challenge if it comes."""
        if "Authorization" in request.headers:
            # An explicit Authorization header is the caller's choice; leave it alone.
            return await handler(request)
        sent: str | None = None
        challenge = self._challenge
        if self._preemptive and challenge is not None and _in_space(challenge, request.url):
            request.headers["Authorization"] = self._authorization(request, challenge)
            sent = challenge.nonce
        response = await handler(request)
        if response.status != 401:
            return response
        fresh = self._pick(response.headers.getall("WWW-Authenticate", []), request.url)
        if fresh is None or (sent == fresh.nonce and not fresh.stale):
            request.headers.popall("Authorization", None)
            return response
        if challenge is None or challenge.nonce != fresh.nonce:
            # A repeated nonce keeps counting: reusing an nc would look like a replay (§3.4).
            self._nonce_count = 0
        self._challenge = fresh
        await _discard(response)
        request.headers["Authorization"] = self._authorization(request, fresh)
        return await handler(request)

    def _pick(self, values: list[str], url: URL) -> _Challenge | None:
        best: dict[str, str] | None = None
        offered = []
        missing = False
        for scheme, params in parse_challenges(values):
            if scheme != "digest" or "nonce" not in params:
                continue
            algo = params.get("algorithm", "MD5").upper()
            offered.append(algo)
            base = algo[:-5] if algo.endswith("-SESS") else algo
            if not _computable(base):
                missing = missing or base in _HASHES
                continue
            if best is None or _STRENGTH[base] > _STRENGTH[_base(best)]:
                best = params
        if best is None:
            if missing:
                raise ClientError(f"Digest auth error: {_NO_SHA512_256} (offered: {offered})")
            if offered:
                raise ClientError(f"Digest auth error: unsupported algorithm(s) {offered}")
            return None
        qops = frozenset(q.strip().lower() for q in best.get("qop", "").split(",") if q.strip())
        if qops and not qops & {"auth", "auth-int"}:
            raise ClientError(f"Digest auth error: unsupported qop {best['qop']!r}")
        return _Challenge(
            realm=best.get("realm", ""), nonce=best["nonce"],
            algorithm=best.get("algorithm", "MD5"), qops=qops,
            opaque=best.get("opaque"), stale=best.get("stale", "").lower() == "true",
            space=_protection_space(best.get("domain"), url),
        )

    def _authorization(self, request: _RequestLike, ch: _Challenge) -> str:
        body = _body_bytes(request)
        if "auth-int" in ch.qops and body is not None:
            qop: str | None = "auth-int"
        elif "auth" in ch.qops:
            qop = "auth"
        elif ch.qops:
            raise ClientError(
                "Digest auth error: the server only accepts qop=auth-int, which needs the "
                "whole body in memory, but this request streams its body"
            )
        else:
            qop = None
        self._nonce_count += 1
        nc = f"{self._nonce_count:08x}"
        cnonce = secrets.token_hex(16)
        uri = request.url.raw_path_qs or "/"
        response = digest_response(
            algorithm=ch.algorithm, username=self._login, password=self._password,
            realm=ch.realm, nonce=ch.nonce, method=request.method.upper(), uri=uri, qop=qop,
            nc=nc, cnonce=cnonce, body=body or b"",
        )
        if self._login.isascii():
            user = f"username={_quote(self._login)}"
        else:
            user = f"username*=UTF-8''{quote(self._login, safe='')}"
        fields = [
            user, f"realm={_quote(ch.realm)}", f"nonce={_quote(ch.nonce)}",
            f"uri={_quote(uri)}", f"algorithm={ch.algorithm}", f"response={_quote(response)}",
        ]
        if ch.opaque is not None:
            fields.append(f"opaque={_quote(ch.opaque)}")
        if qop is not None:
            fields += [f"qop={qop}", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        elif ch.algorithm.upper().endswith("-SESS"):
            fields.append(f"cnonce={_quote(cnonce)}")
        return "Digest " + ", ".join(fields)


def _base(params: dict[str, str]) -> str:
    algo = params.get("algorithm", "MD5").upper()
    return algo[:-5] if algo.endswith("-SESS") else algo


def _body_bytes(request: _RequestLike) -> bytes | None:
    body = getattr(request, "body", None)
    if body is None:
        return b""
    if isinstance(body, Payload):
        return body.body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    return None


def _origin(url: URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


def _protection_space(domain: str | None, url: URL) -> tuple[tuple[str, str], ...]:
    if not domain:
        return ((_origin(url), "/"),)
    space = []
    for item in domain.split():
        target = url.join(URL(item))
        space.append((_origin(target), target.path or "/"))
    return tuple(space)


def _in_space(challenge: _Challenge, url: URL) -> bool:
    origin, path = _origin(url), url.path or "/"
    return any(o == origin and path.startswith(p) for o, p in challenge.space)


async def _discard(response: _ResponseLike) -> None:
    """Finish with a 401 before retrying: read a small body (keeps the connection)."""
    length = response.content_length
    if length is not None and length <= _DISCARD_LIMIT:
        await response.read()
    response.release()
