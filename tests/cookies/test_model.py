"""The indexed jar against a plain-list model of RFC 6265 §5.3/§5.4, on random histories.

The model keeps every cookie in one list and checks each of them on every request, the
way the RFC's text reads; the jar indexes by domain and caches per host. Any difference
in what they send is a bug in the index.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from ketch_cookies import BUILTIN_PUBLIC_SUFFIXES
from ketch_cookies._domains import domain_match
from ketch_cookies._parse import parse_set_cookie

from .helpers import make_jar, sent

HOSTS = ["example.com", "www.example.com", "a.www.example.com", "other.org"]
PATHS = ["/", "/a", "/a/x", "/a/b/c", "/ab"]


def path_match(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    )


def default_path(path: str) -> str:
    return path[: path.rfind("/")] or "/"


@dataclass
class Rec:
    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool
    expires: float | None
    created: int


class Model:
    def __init__(self) -> None:
        self.cookies: list[Rec] = []
        self.created = 0

    def receive(self, url: URL, header: str, now: float) -> None:
        c = parse_set_cookie(header)
        assert c is not None
        host, https = url.raw_host or "", url.scheme == "https"
        domain = c.domain or ""
        if domain and BUILTIN_PUBLIC_SUFFIXES(domain):
            if domain != host:
                return
            domain = ""
        if domain and not domain_match(host, domain):
            return
        host_only = not domain
        domain = domain or host
        path = c.path or default_path(url.raw_path)
        if c.secure and not https:
            return
        # An expired cookie is already gone from the store (RFC 6265 §5.3 step 12), so
        # it shadows nothing.
        if not c.secure and not https and any(
            o.secure and (o.expires is None or o.expires > now)
            and o.name == c.name and path_match(path, o.path)
            and (domain_match(domain, o.domain) or domain_match(o.domain, domain))
            for o in self.cookies
        ):
            return
        expires = None
        if c.max_age is not None:
            expires = now + c.max_age if c.max_age > 0 else float("-inf")
        old = [o for o in self.cookies if (o.domain, o.path, o.name) == (domain, path, c.name)]
        self.cookies = [o for o in self.cookies if o not in old]
        if expires is not None and expires <= now:
            return
        self.created += 1
        created = old[0].created if old else self.created
        self.cookies.append(Rec(c.name, c.coded_value, domain, host_only, path, c.secure,
                                expires, created))

    def send(self, url: URL, now: float) -> str:
        host, path = url.raw_host or "", url.raw_path
        live = [c for c in self.cookies if c.expires is None or c.expires > now]
        chosen = [
            c for c in live
            if (host == c.domain if c.host_only else domain_match(host, c.domain))
            and path_match(path, c.path)
            and (url.scheme == "https" or not c.secure)
        ]
        chosen.sort(key=lambda c: (-len(c.path), c.created))
        seen: dict[str, str] = {}
        for c in chosen:
            seen.setdefault(c.name, c.value)
        return "; ".join(f"{k}={v}" for k, v in seen.items())


urls = st.builds(
    lambda scheme, host, path: URL(f"{scheme}://{host}{path}"),
    st.sampled_from(["http", "https"]), st.sampled_from(HOSTS), st.sampled_from(PATHS),
)
headers = st.builds(
    lambda name, value, domain, path, secure, max_age: "; ".join(
        filter(None, [f"{name}={value}", domain, path, secure, max_age])
    ),
    st.sampled_from(["a", "b", "c"]),
    st.integers(0, 9).map(str),
    st.sampled_from(["", "Domain=example.com", "Domain=www.example.com", "Domain=.other.org",
                     "Domain=com", "Domain=a.www.example.com"]),
    st.sampled_from(["", "Path=/", "Path=/a", "Path=/a/b", "Path=/ab", "Path=x"]),
    st.sampled_from(["", "Secure"]),
    st.sampled_from(["", "Max-Age=0", "Max-Age=5", "Max-Age=50"]),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("set"), urls, headers),
        st.tuples(st.just("get"), urls, st.just("")),
        st.tuples(st.just("wait"), st.just(URL()), st.sampled_from(["3", "10"])),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_jar_sends_what_the_rfc_model_sends(history: list[tuple[str, URL, str]]) -> None:
    jar, clock = make_jar()
    model = Model()
    for action, url, arg in history:
        if action == "set":
            jar.update_cookies_from_headers([arg], url)
            model.receive(url, arg, clock.now)
        elif action == "wait":
            clock.advance(float(arg))
        else:
            assert sent(jar, str(url)) == model.send(url, clock.now), url
    for url in (URL(f"{s}://{h}{p}") for s in ("http", "https") for h in HOSTS for p in PATHS):
        assert sent(jar, str(url)) == model.send(url, clock.now), url
