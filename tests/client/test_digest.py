"""DigestAuthMiddleware against a loopback server that verifies RFC 7616 itself.

The server computes the expected ``response`` with its own code, straight from the RFC's
formulas (§3.4.1-3.4.3), so the middleware is checked against an independent reading.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest

import ketch
from ketch._digest import digest_response, parse_challenges
from tests.servers import HTTPServer, Reply, Request

USER, PASSWORD, REALM = "Mufasa", "Circle of Life", "http-auth@example.org"
HASHLIB = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
_PARAM = re.compile(r'([\w*-]+)=("((?:[^"\\]|\\.)*)"|[^,\s]+)')


def H(algorithm: str, data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.new(HASHLIB[algorithm.removesuffix("-sess").removesuffix("-SESS")], raw).hexdigest()


def parse_authorization(value: str) -> dict[str, str]:
    assert value.startswith("Digest ")
    out = {}
    for m in _PARAM.finditer(value[7:]):
        out[m.group(1)] = m.group(3).replace('\\"', '"') if m.group(3) is not None else m.group(2)
    return out


@dataclass
class DigestServer:
    """Challenges, then verifies each Authorization per RFC 7616 §3.4."""

    algorithm: str = "MD5"
    qop: str | None = "auth"
    password: str = PASSWORD
    user: str = USER
    opaque: str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    domain: str | None = None
    extra_challenges: list[str] = field(default_factory=list)
    nonce_uses: int = 100  # after this many successes the nonce goes stale
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    last_nc: int = 0
    successes: int = 0
    seen: list[dict[str, str]] = field(default_factory=list)

    def challenge(self, stale: bool = False) -> Reply:
        params = [f'realm="{REALM}"', f'nonce="{self.nonce}"', f'opaque="{self.opaque}"',
                  f"algorithm={self.algorithm}"]
        if self.qop:
            params.append(f'qop="{self.qop}"')
        if self.domain:
            params.append(f'domain="{self.domain}"')
        if stale:
            params.append("stale=true")
        headers = [("WWW-Authenticate", c) for c in self.extra_challenges]
        headers.append(("WWW-Authenticate", "Digest " + ", ".join(params)))
        return Reply(401, b"auth needed", headers, reason="Unauthorized")

    def expected(self, p: dict[str, str], req: Request) -> str:
        algo = p["algorithm"]
        ha1 = H(algo, f"{self.user}:{REALM}:{self.password}")
        if algo.upper().endswith("-SESS"):
            ha1 = H(algo, f"{ha1}:{p['nonce']}:{p['cnonce']}")
        if p.get("qop") == "auth-int":
            ha2 = H(algo, f"{req.method}:{p['uri']}:{H(algo, req.body)}")
        else:
            ha2 = H(algo, f"{req.method}:{p['uri']}")
        if "qop" not in p:
            return H(algo, f"{ha1}:{p['nonce']}:{ha2}")
        return H(algo, f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")

    async def __call__(self, req: Request, writer: asyncio.StreamWriter) -> Reply:
        header = req.header("Authorization")
        if header is None or not header.startswith("Digest "):
            return self.challenge()
        p = parse_authorization(header)
        self.seen.append(p)
        user = p.get("username")
        if user is None and "username*" in p:
            user = unquote(p["username*"].removeprefix("UTF-8''"), "utf-8")
        if p["nonce"] != self.nonce:
            return self.challenge(stale=True)
        nc = int(p.get("nc", "0"), 16)
        ok = (
            user == self.user and p["realm"] == REALM and p["uri"] == req.target
            and p["opaque"] == self.opaque and p["algorithm"] == self.algorithm
            and p.get("qop") in (self.qop.split(", ") if self.qop else [None])
            and (self.qop is None or nc > self.last_nc)
            and p["response"] == self.expected(p, req)
        )
        if not ok:
            return self.challenge()
        self.last_nc = nc
        self.successes += 1
        if self.successes % self.nonce_uses == 0:
            self.nonce, self.last_nc = secrets.token_urlsafe(24), 0
        return Reply(body=b"welcome " + req.target.encode())


# RFC 7616 §3.9.1: the worked example, for MD5 and SHA-256.
RFC_EXAMPLE = dict(
    username="Mufasa", password="Circle of Life", realm="http-auth@example.org",
    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", method="GET", uri="/dir/index.html",
    qop="auth", nc="00000001", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
)


def test_rfc7616_example_md5() -> None:
    assert digest_response(algorithm="MD5", **RFC_EXAMPLE) == "8ca523f5e9506fed4657c9700eebdbec"


def test_rfc7616_example_sha256() -> None:
    assert digest_response(algorithm="SHA-256", **RFC_EXAMPLE) == (
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    )


def test_unknown_algorithm_or_qop_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'SHA3'"):
        digest_response(algorithm="SHA3", **RFC_EXAMPLE)
    with pytest.raises(ValueError, match="'auth-conf'"):
        digest_response(algorithm="MD5", **{**RFC_EXAMPLE, "qop": "auth-conf"})


def test_parse_challenges_handles_several_schemes_and_quoting() -> None:
    got = parse_challenges([
        'Basic realm="a, b", Digest realm="r", nonce="n\\"x", qop="auth,auth-int", algorithm=MD5',
        "Negotiate, Bearer",
    ])
    assert got == [
        ("basic", {"realm": "a, b"}),
        ("digest", {"realm": "r", "nonce": 'n"x', "qop": "auth,auth-int", "algorithm": "MD5"}),
        ("negotiate", {}),
        ("bearer", {}),
    ]


def test_constructor_rejects_bad_credentials() -> None:
    with pytest.raises(ValueError, match="None"):
        ketch.DigestAuthMiddleware(None, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="None"):
        ketch.DigestAuthMiddleware("x", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='":"'):
        ketch.DigestAuthMiddleware("a:b", "x")


async def fetch(server: HTTPServer, mw: ketch.DigestAuthMiddleware, path: str = "/dir/index.html",
                method: str = "GET", **kw: object) -> tuple[int, bytes]:
    async with ketch.ClientSession(middlewares=(mw,)) as s:
        async with s.request(method, server.url + path, **kw) as r:  # type: ignore[arg-type]
            return r.status, await r.read()


@pytest.mark.parametrize("algorithm", [
    "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess",
])
async def test_each_algorithm_authenticates_with_one_retry(algorithm: str) -> None:
    handler = DigestServer(algorithm=algorithm)
    async with HTTPServer(handler) as server:
        status, body = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))
    assert (status, body) == (200, b"welcome /dir/index.html")
    assert len(server.requests) == 2
    p = handler.seen[0]
    assert p["nc"] == "00000001" and p["qop"] == "auth" and len(p["cnonce"]) >= 16
    assert p["opaque"] == handler.opaque


async def test_auth_int_hashes_the_body() -> None:
    handler = DigestServer(algorithm="SHA-256", qop="auth-int")
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD), "/upload?x=1",
                                method="POST", data=b"the entity body")
    assert status == 200
    assert handler.seen[0]["qop"] == "auth-int"
    assert handler.seen[0]["uri"] == "/upload?x=1"
    assert server.requests[1].body == b"the entity body"


async def test_auth_int_needs_the_body_in_memory() -> None:
    async def gen():  # type: ignore[no-untyped-def]
        yield b"streamed"

    async with HTTPServer(DigestServer(qop="auth-int")) as server:
        with pytest.raises(ketch.ClientError, match="auth-int"):
            await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD), method="POST", data=gen())


async def test_rfc2069_challenge_without_qop() -> None:
    handler = DigestServer(qop=None)
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))
    assert status == 200
    assert "qop" not in handler.seen[0] and "nc" not in handler.seen[0]


async def test_preemptive_reuses_the_challenge_and_counts_the_nonce() -> None:
    handler = DigestServer()
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD)
    async with HTTPServer(handler) as server, ketch.ClientSession(middlewares=(mw,)) as s:
        for i in range(3):
            async with s.get(server.url + f"/dir/{i}") as r:
                assert r.status == 200
        # one challenge round trip, then one request each
        assert len(server.requests) == 4
        assert [p["nc"] for p in handler.seen] == ["00000001", "00000002", "00000003"]


async def test_not_preemptive_answers_every_challenge() -> None:
    handler = DigestServer()
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD, preemptive=False)
    async with HTTPServer(handler) as server, ketch.ClientSession(middlewares=(mw,)) as s:
        for _ in range(2):
            async with s.get(server.url + "/dir/x") as r:
                assert r.status == 200
        assert len(server.requests) == 4


async def test_protection_space_limits_preemptive_credentials() -> None:
    handler = DigestServer(domain="/private/")
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD)
    async with HTTPServer(handler) as server, ketch.ClientSession(middlewares=(mw,)) as s:
        async with s.get(server.url + "/private/a") as r:
            assert r.status == 200
        async with s.get(server.url + "/public/b") as r:
            assert r.status == 200
        assert server.requests[2].header("Authorization") is None  # outside the space
        async with s.get(server.url + "/private/c") as r:
            assert r.status == 200
        assert len(server.requests) == 6 - 1  # /private/c went preemptively


async def test_stale_nonce_gets_exactly_one_retry() -> None:
    handler = DigestServer(nonce_uses=1)  # every success makes the nonce stale
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD)
    async with HTTPServer(handler) as server, ketch.ClientSession(middlewares=(mw,)) as s:
        async with s.get(server.url + "/a") as r:
            assert r.status == 200
        async with s.get(server.url + "/b") as r:
            assert r.status == 200  # preemptive with the old nonce, stale=true, retried
        assert len(server.requests) == 4
        assert handler.seen[-1]["nc"] == "00000001"  # counting restarted for the new nonce


async def test_wrong_password_returns_the_401_without_looping() -> None:
    handler = DigestServer(password="something else")
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD)
    async with HTTPServer(handler) as server, ketch.ClientSession(middlewares=(mw,)) as s:
        async with s.get(server.url + "/a") as r:
            assert r.status == 401
        assert len(server.requests) == 2
        async with s.get(server.url + "/b") as r:
            assert r.status == 401  # preemptive, same nonce, not stale: not retried
        assert len(server.requests) == 3


async def test_strongest_of_several_challenges_is_used() -> None:
    handler = DigestServer(algorithm="SHA-256", extra_challenges=[
        f'Digest realm="{REALM}", nonce="other", algorithm=MD5, qop="auth"', 'Basic realm="x"',
    ])
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))
    assert status == 200
    assert handler.seen[0]["algorithm"] == "SHA-256"


async def test_only_unsupported_algorithms_is_a_client_error() -> None:
    async with HTTPServer(DigestServer(algorithm="SHA3-512")) as server:
        with pytest.raises(ketch.ClientError, match="SHA3-512"):
            await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))


async def test_non_ascii_user_is_sent_as_username_star() -> None:
    handler = DigestServer(user="Jäsøn Doe")
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware("Jäsøn Doe", PASSWORD))
    assert status == 200
    assert handler.seen[0]["username*"] == "UTF-8''J%C3%A4s%C3%B8n%20Doe"


async def test_explicit_authorization_header_is_left_alone() -> None:
    handler = DigestServer()
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD),
                                headers={"Authorization": "Bearer token"})
    assert status == 401
    assert len(server.requests) == 1
    assert server.requests[0].header("Authorization") == "Bearer token"


async def test_non_digest_401_is_returned_as_is() -> None:
    async def basic_only(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(401, b"", [("WWW-Authenticate", 'Basic realm="x"')])

    async with HTTPServer(basic_only) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))
    assert status == 401
    assert len(server.requests) == 1


async def test_retry_resends_a_file_body_and_works_as_a_per_request_middleware() -> None:
    handler = DigestServer(algorithm="SHA-256")
    mw = ketch.DigestAuthMiddleware(USER, PASSWORD)
    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        body = io.BytesIO(b"file body " * 10000)
        async with s.put(server.url + "/files/x", data=body, middlewares=(mw,)) as r:
            assert r.status == 200
    assert [q.body for q in server.requests] == [b"file body " * 10000] * 2
    assert server.requests[1].method == "PUT"


@pytest.fixture
def no_sha512_256(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python whose OpenSSL lacks SHA-512/256 (some builds do). This Python has it, so the
    missing hash is simulated: hashlib.new refuses the name as such a build does."""
    real_new = hashlib.new

    def new(name: str, *args: object, **kw: object) -> object:
        if name.lower().replace("-", "_") == "sha512_256":
            raise ValueError(f"unsupported hash type {name}")
        return real_new(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "new", new)


@pytest.mark.usefixtures("no_sha512_256")
def test_missing_sha512_256_is_named() -> None:
    with pytest.raises(ValueError, match="SHA-512-256 is not available in this Python"):
        digest_response(algorithm="SHA-512-256", **RFC_EXAMPLE)


@pytest.mark.usefixtures("no_sha512_256")
async def test_missing_sha512_256_challenge_is_a_clear_client_error() -> None:
    async with HTTPServer(DigestServer(algorithm="SHA-512-256")) as server:
        with pytest.raises(ketch.ClientError, match="SHA-512-256 is not available in this Python"):
            await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))


@pytest.mark.usefixtures("no_sha512_256")
async def test_missing_sha512_256_falls_back_to_another_offered_algorithm() -> None:
    handler = DigestServer(algorithm="SHA-256", extra_challenges=[
        f'Digest realm="{REALM}", nonce="other", algorithm=SHA-512-256, qop="auth"',
    ])
    async with HTTPServer(handler) as server:
        status, _ = await fetch(server, ketch.DigestAuthMiddleware(USER, PASSWORD))
    assert status == 200
    assert handler.seen[0]["algorithm"] == "SHA-256"
