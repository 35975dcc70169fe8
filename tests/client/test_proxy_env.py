"""Choosing a proxy without any server: NO_PROXY forms, the environment, .netrc, explicit rules.

These drive ``ProxySettings`` (the session's proxy configuration) and its parts directly; the
end-to-end behaviour through real proxies is in ``test_proxy.py``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

import ketch
from ketch._netrc import NetrcFile, netrc_path
from ketch._no_proxy import NoProxy
from ketch._proxy import ProxyInfo, ProxySettings, parse_proxy_url


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode("latin1")).decode()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean proxy environment: no *_proxy variables, no NETRC, HOME in a temp directory."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("NETRC", "REQUEST_METHOD"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


async def choose(url: str, **kwargs: object) -> ProxyInfo | None:
    """A fresh trust_env session configuration (the environment is read once per session)."""
    return await ProxySettings(trust_env=True).choose(URL(url), **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- NO_PROXY forms

NO_PROXY_CASES = [
    # (NO_PROXY value, host, port, bypass?)
    ("*", "anything.example", 80, True),
    ("a.example, *", "b.example", 443, True),
    ("example.com", "example.com", 80, True),
    ("example.com", "www.example.com", 80, True),
    ("example.com", "deep.www.example.com", 80, True),
    ("example.com", "notexample.com", 80, False),
    ("example.com", "example.com.evil.net", 80, False),
    (".example.com", "example.com", 80, True),
    (".example.com", "api.example.com", 80, True),
    ("*.example.com", "api.example.com", 80, True),
    ("EXAMPLE.com", "example.com", 80, True),
    ("  spaced.example ,other.example  ", "spaced.example", 80, True),
    ("example.com", "example.com.", 80, True),
    ("localhost", "localhost", 8080, True),
    ("localhost", "127.0.0.1", 8080, False),  # names are never resolved
    ("127.0.0.1", "127.0.0.1", 80, True),
    ("127.0.0.1", "127.0.0.2", 80, False),
    ("127.0.0.1", "localhost", 80, False),
    ("::1", "::1", 80, True),
    ("[::1]", "::1", 80, True),
    ("::1", "::2", 80, False),
    ("10.0.0.0/8", "10.20.30.40", 80, True),
    ("10.0.0.0/8", "11.0.0.1", 80, False),
    ("10.1.2.3/8", "10.200.0.1", 80, True),  # host bits set: the /8 around it, as curl reads it
    ("192.168.0.0/16,172.16.0.0/12", "172.20.1.1", 80, True),
    ("fe80::/10", "fe80::1", 80, True),
    ("fe80::/10", "fe80::1%25eth0", 80, True),
    ("fe80::/10", "2001:db8::1", 80, False),
    ("example.com:8080", "example.com", 8080, True),
    ("example.com:8080", "example.com", 80, False),
    ("example.com:8080", "api.example.com", 8080, True),
    ("127.0.0.1:8080", "127.0.0.1", 8080, True),
    ("127.0.0.1:8080", "127.0.0.1", 8081, False),
    ("[::1]:8080", "::1", 8080, True),
    ("[::1]:8080", "::1", 9090, False),
    ("bücher.example", "xn--bcher-kva.example", 80, True),
    ("10.0.0.0/33", "10.0.0.1", 80, False),  # not a network: compared as a name, matches nothing
    ("", "example.com", 80, False),
    (" , ,", "example.com", 80, False),
]


@pytest.mark.parametrize(("value", "host", "port", "bypass"), NO_PROXY_CASES)
def test_no_proxy_forms(value: str, host: str, port: int, bypass: bool) -> None:
    assert NoProxy.parse(value).matches(host, port) is bypass


def test_no_proxy_parse_is_structured() -> None:
    parsed = NoProxy.parse(".a.example:81, 10.0.0.0/8, ::1")
    assert parsed.domains == (("a.example", 81),)
    assert [str(n) for n, _ in parsed.networks] == ["10.0.0.0/8", "::1/128"]
    assert not parsed.everything


# --------------------------------------------------------------------------- environment

@pytest.mark.parametrize(
    ("variable", "target"),
    [
        ("HTTP_PROXY", "http://example.test/"),
        ("http_proxy", "http://example.test/"),
        ("HTTPS_PROXY", "https://example.test/"),
        ("https_proxy", "https://example.test/"),
        ("WS_PROXY", "ws://example.test/"),
        ("ws_proxy", "ws://example.test/"),
        ("WSS_PROXY", "wss://example.test/"),
        ("wss_proxy", "wss://example.test/"),
        ("Https_Proxy", "https://example.test/"),
    ],
)
async def test_each_variable_applies_to_its_scheme_only(
    env: pytest.MonkeyPatch, variable: str, target: str
) -> None:
    env.setenv(variable, "http://proxy.test:3128")
    info = await choose(target)
    assert info == ProxyInfo(URL("http://proxy.test:3128"), None, ())
    for other in ("http", "https", "ws", "wss"):
        if not target.startswith(other + ":"):
            assert await choose(f"{other}://example.test/") is None


async def test_lower_case_wins_and_empty_lower_case_removes(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTPS_PROXY", "http://upper.test:1")
    env.setenv("https_proxy", "http://lower.test:2")
    info = await choose("https://example.test/")
    assert info is not None and info.url == URL("http://lower.test:2")
    env.setenv("https_proxy", "")
    assert await choose("https://example.test/") is None


async def test_cgi_guard_ignores_upper_case_http_proxy(env: pytest.MonkeyPatch) -> None:
    # CVE-2016-1000110 ("httpoxy"): in a CGI script HTTP_PROXY may come from a request header.
    env.setenv("REQUEST_METHOD", "GET")
    env.setenv("HTTP_PROXY", "http://attacker.test:1")
    env.setenv("HTTPS_PROXY", "http://corp.test:3")
    assert await choose("http://example.test/") is None
    info = await choose("https://example.test/")
    assert info is not None and info.url == URL("http://corp.test:3")
    env.setenv("http_proxy", "http://lower.test:2")
    info = await choose("http://example.test/")
    assert info is not None and info.url == URL("http://lower.test:2")


async def test_all_proxy_is_not_read(env: pytest.MonkeyPatch) -> None:
    env.setenv("ALL_PROXY", "http://all.test:1")
    assert await choose("http://example.test/") is None


async def test_value_without_scheme_means_http(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTP_PROXY", "proxy.corp.test:3128")
    info = await choose("http://example.test/")
    assert info is not None and info.url == URL("http://proxy.corp.test:3128")


async def test_https_proxy_url_from_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTPS_PROXY", "https://secure-proxy.test:8443/ignored/path")
    info = await choose("https://example.test/")
    assert info is not None and info.url == URL("https://secure-proxy.test:8443")


async def test_credentials_in_environment_url(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTP_PROXY", "http://us%40er:p%3Ass@proxy.test:3128")
    info = await choose("http://example.test/")
    assert info is not None
    assert info.url == URL("http://proxy.test:3128")
    assert info.auth_header == basic("us@er", "p:ss")


@pytest.mark.parametrize("scheme", ["socks4", "socks4a", "socks5", "socks5h"])
async def test_socks_in_environment_is_reported_when_used(
    env: pytest.MonkeyPatch, scheme: str
) -> None:
    env.setenv("HTTPS_PROXY", f"{scheme}://user:secret@proxy.test:1080")
    env.setenv("HTTP_PROXY", "http://proxy.test:3128")
    settings = ProxySettings(trust_env=True)
    assert await settings.choose(URL("http://example.test/")) is not None
    with pytest.raises(ketch.InvalidURL, match="not supported yet") as err:
        await settings.choose(URL("https://example.test/"))
    assert "HTTPS_PROXY" in str(err.value)
    assert "secret" not in str(err.value)


async def test_no_proxy_from_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTP_PROXY", "http://proxy.test:3128")
    env.setenv("NO_PROXY", "internal.test, 10.0.0.0/8, 127.0.0.1:8080")
    settings = ProxySettings(trust_env=True)
    assert await settings.choose(URL("http://svc.internal.test/")) is None
    assert await settings.choose(URL("http://10.1.1.1/")) is None
    assert await settings.choose(URL("http://127.0.0.1:8080/")) is None
    assert await settings.choose(URL("http://127.0.0.1:8081/")) is not None
    assert await settings.choose(URL("http://public.test/")) is not None


async def test_lower_case_no_proxy_wins(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTP_PROXY", "http://proxy.test:3128")
    env.setenv("NO_PROXY", "upper.test")
    env.setenv("no_proxy", "lower.test")
    assert await choose("http://lower.test/") is None
    assert await choose("http://upper.test/") is not None


async def test_no_proxy_star(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    env.setenv("no_proxy", "*")
    assert await choose("https://example.test/") is None


async def test_without_trust_env_the_environment_is_ignored(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("HTTP_PROXY", "http://proxy.test:3128")
    env.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    (tmp_path / ".netrc").write_text("machine example.test login u password p\n")
    settings = ProxySettings()
    assert not settings.trust_env
    assert await settings.choose(URL("http://example.test/")) is None
    assert await settings.choose(URL("https://example.test/")) is None
    assert await settings.netrc_auth("example.test") is None


async def test_environment_is_read_once_per_session(env: pytest.MonkeyPatch) -> None:
    env.setenv("HTTP_PROXY", "http://first.test:1")
    settings = ProxySettings(trust_env=True)
    first = await settings.choose(URL("http://example.test/"))
    env.setenv("HTTP_PROXY", "http://second.test:2")
    again = await settings.choose(URL("http://example.test/"))
    assert first == again and first is not None and first.url.host == "first.test"
    fresh = await ProxySettings(trust_env=True).choose(URL("http://example.test/"))
    assert fresh is not None and fresh.url.host == "second.test"


# --------------------------------------------------------------------------- .netrc

async def test_netrc_gives_environment_proxy_credentials(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text(
        "machine proxy.test login pu password pp\nmachine other.test login x password y\n"
    )
    env.setenv("HTTP_PROXY", "http://proxy.test:3128")
    info = await choose("http://example.test/")
    assert info is not None and info.auth_header == basic("pu", "pp")


async def test_url_credentials_win_over_netrc(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text("machine proxy.test login pu password pp\n")
    env.setenv("HTTP_PROXY", "http://urlu:urlp@proxy.test:3128")
    info = await choose("http://example.test/")
    assert info is not None and info.auth_header == basic("urlu", "urlp")


async def test_netrc_for_explicit_proxy_with_trust_env(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text("machine proxy.test login pu password pp\n")
    with_env = ProxySettings("http://proxy.test:3128", trust_env=True)
    info = await with_env.choose(URL("http://example.test/"))
    assert info is not None and info.auth_header == basic("pu", "pp")
    without = ProxySettings("http://proxy.test:3128")
    info = await without.choose(URL("http://example.test/"))
    assert info is not None and info.auth_header is None


async def test_netrc_target_credentials(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text(
        "machine api.test login alice password s3cret\n"
        "machine acct.test account bob password pw\n"
        "default login anon password guest\n"
    )
    settings = ProxySettings(trust_env=True)
    assert await settings.netrc_auth("api.test") == ketch.BasicAuth("alice", "s3cret")
    assert await settings.netrc_auth("acct.test") == ketch.BasicAuth("bob", "pw")
    assert await settings.netrc_auth("elsewhere.test") == ketch.BasicAuth("anon", "guest")


async def test_netrc_environment_variable(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text("machine api.test login home password h\n")
    other = tmp_path / "elsewhere" / "creds"
    other.parent.mkdir()
    other.write_text("machine api.test login fromvar password v\n")
    env.setenv("NETRC", str(other))
    assert netrc_path(os.environ) == other
    settings = ProxySettings(trust_env=True)
    assert await settings.netrc_auth("api.test") == ketch.BasicAuth("fromvar", "v")


async def test_no_netrc_file(env: pytest.MonkeyPatch) -> None:
    settings = ProxySettings(trust_env=True)
    assert await settings.netrc_auth("api.test") is None
    assert await NetrcFile(None).lookup("api.test") is None


async def test_netrc_is_reread_only_after_a_change(tmp_path: Path) -> None:
    path = tmp_path / "netrc"
    path.write_text("machine h.test login one password 1\n")
    now = [0.0]
    file = NetrcFile(path, recheck_interval=5.0, clock=lambda: now[0])
    assert await file.lookup("h.test") == ("one", "1")
    path.write_text("machine h.test login two password 22\n")
    now[0] = 4.0  # within the interval: no stat, the parsed copy is used
    assert await file.lookup("h.test") == ("one", "1")
    now[0] = 5.0
    assert await file.lookup("h.test") == ("two", "22")
    signature = file._signature
    assert signature is not None
    # An unchanged file is stat'ed but not parsed again.
    assert file._load(signature) == (signature, None)
    path.unlink()
    now[0] = 10.0
    assert await file.lookup("h.test") is None


async def test_netrc_is_read_off_the_event_loop(tmp_path: Path) -> None:
    # A FIFO blocks whoever opens it until a writer comes: if the read ran on the loop, the
    # loop would stop here and this test would time out.
    fifo = tmp_path / "netrc-fifo"
    os.mkfifo(fifo)
    file = NetrcFile(fifo)
    lookup = asyncio.ensure_future(file.lookup("h.test"))
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert not lookup.done()
    loop_thread = threading.get_ident()

    def feed() -> int:
        with open(fifo, "w") as f:
            f.write("machine h.test login fifo password ff\n")
        return threading.get_ident()

    writer_thread = await asyncio.to_thread(feed)
    assert writer_thread != loop_thread
    assert await asyncio.wait_for(lookup, 10) == ("fifo", "ff")


async def test_malformed_netrc_is_reported_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "netrc"
    path.write_text("machine h.test login u password p bogus\n")
    with caplog.at_level(logging.WARNING, logger="ketch"):
        assert await NetrcFile(path).lookup("h.test") is None
    assert str(path) in caplog.text


# --------------------------------------------------------------------------- explicit settings

async def test_explicit_proxy_and_its_url_credentials() -> None:
    settings = ProxySettings()
    info = await settings.choose(URL("http://example.test/"), proxy="http://u:p@proxy.test:3128/x")
    assert info == ProxyInfo(URL("http://proxy.test:3128"), basic("u", "p"), ())
    info = await settings.choose(URL("http://example.test/"), proxy=URL("https://proxy.test"))
    assert info is not None and info.url == URL("https://proxy.test") and info.auth_header is None


async def test_proxy_auth_with_url_credentials_is_value_error() -> None:
    with pytest.raises(ValueError, match="given twice"):
        ProxySettings("http://u:p@proxy.test", proxy_auth=ketch.BasicAuth("a", "b"))
    settings = ProxySettings()
    with pytest.raises(ValueError, match="given twice") as err:
        await settings.choose(
            URL("http://example.test/"), proxy="http://u:secret@proxy.test",
            proxy_auth=ketch.BasicAuth("a", "b"),
        )
    assert "secret" not in str(err.value)


async def test_proxy_auth_must_be_basic_auth() -> None:
    with pytest.raises(ValueError, match="BasicAuth"):
        await ProxySettings().choose(
            URL("http://example.test/"), proxy="http://proxy.test",
            proxy_auth=("user", "pass"),  # type: ignore[arg-type]
        )


async def test_proxy_authorization_header_is_the_credential() -> None:
    settings = ProxySettings()
    info = await settings.choose(
        URL("http://example.test/"), proxy="http://proxy.test",
        proxy_headers={"Proxy-Authorization": "Bearer tok", "X-Trace": "1"},
    )
    assert info == ProxyInfo(URL("http://proxy.test"), "Bearer tok", (("X-Trace", "1"),))
    with pytest.raises(ValueError, match="given twice"):
        await settings.choose(
            URL("http://example.test/"), proxy="http://proxy.test",
            proxy_auth=ketch.BasicAuth("a"), proxy_headers=[("Proxy-Authorization", "Bearer t")],
        )


async def test_session_defaults_overridden_per_request() -> None:
    settings = ProxySettings(
        "http://default.test:1", proxy_auth=ketch.BasicAuth("du", "dp"),
        proxy_headers={"X-A": "session", "X-B": "session"},
    )
    url = URL("http://example.test/")
    assert await settings.choose(url) == ProxyInfo(
        URL("http://default.test:1"), basic("du", "dp"), (("X-A", "session"), ("X-B", "session"))
    )
    info = await settings.choose(
        url, proxy="http://other.test:2", proxy_auth=ketch.BasicAuth("ru", "rp"),
        proxy_headers={"x-b": "request"},
    )
    assert info == ProxyInfo(
        URL("http://other.test:2"), basic("ru", "rp"), (("X-A", "session"), ("x-b", "request"))
    )
    # The request's proxy without credentials: the session's proxy_auth still applies.
    info = await settings.choose(url, proxy="http://other.test:2")
    assert info is not None and info.auth_header == basic("du", "dp")
    # The request's own URL credentials beat the session's proxy_auth.
    info = await settings.choose(url, proxy="http://ou:op@other.test:2")
    assert info is not None and info.auth_header == basic("ou", "op")


async def test_session_url_credentials_stay_with_the_session_proxy() -> None:
    settings = ProxySettings("http://su:sp@default.test:1")
    url = URL("http://example.test/")
    info = await settings.choose(url)
    assert info is not None and info.auth_header == basic("su", "sp")
    info = await settings.choose(url, proxy="http://other.test:2")
    assert info is not None and info.auth_header is None
    info = await settings.choose(url, proxy_auth=ketch.BasicAuth("ru", "rp"))
    assert info is not None and info.url == URL("http://default.test:1")
    assert info.auth_header == basic("ru", "rp")


async def test_explicit_credentials_are_not_sent_to_environment_proxies(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("HTTPS_PROXY", "http://env-proxy.test:3128")
    settings = ProxySettings(proxy_auth=ketch.BasicAuth("s", "s"), trust_env=True)
    info = await settings.choose(
        URL("https://example.test/"), proxy_auth=ketch.BasicAuth("r", "r"),
        proxy_headers={"Proxy-Authorization": "Bearer x", "X-Id": "7"},
    )
    assert info == ProxyInfo(URL("http://env-proxy.test:3128"), None, (("X-Id", "7"),))


async def test_explicit_proxy_ignores_no_proxy(env: pytest.MonkeyPatch) -> None:
    env.setenv("NO_PROXY", "*")
    settings = ProxySettings(trust_env=True)
    info = await settings.choose(URL("http://example.test/"), proxy="http://proxy.test")
    assert info is not None and info.url == URL("http://proxy.test")


@pytest.mark.parametrize("scheme", ["socks4", "socks4a", "socks5", "socks5h"])
async def test_socks_is_not_supported_yet(scheme: str) -> None:
    with pytest.raises(ketch.InvalidURL, match=r"SOCKS proxies .* not supported yet") as err:
        ProxySettings(f"{scheme}://user:secret@proxy.test:1080")
    assert isinstance(err.value, ValueError) and isinstance(err.value, ketch.ClientError)
    assert "secret" not in str(err.value)
    with pytest.raises(ketch.InvalidURL, match="not supported yet"):
        await ProxySettings().choose(URL("http://example.test/"), proxy=f"{scheme}://p.test:1")


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        ("ftp://proxy.test", "unsupported proxy scheme 'ftp'"),
        ("http://", "has no host"),
        ("proxy.test:3128", "unsupported proxy scheme 'proxy.test'"),
        ("http://proxy.test:99999", "not a valid URL"),
        ("http://u:hunter2@proxy.test:notaport", "not a valid URL"),
    ],
)
def test_bad_proxy_urls(proxy: str, message: str) -> None:
    with pytest.raises(ketch.InvalidURL, match=message) as err:
        parse_proxy_url(proxy)
    assert "hunter2" not in str(err.value)


def test_parse_proxy_url_default_ports_and_origin() -> None:
    assert parse_proxy_url("http://proxy.test") == (URL("http://proxy.test"), None)
    url, auth = parse_proxy_url("HTTPS://User@Proxy.Test:8443/p?q#f")
    assert url == URL("https://proxy.test:8443") and url.port == 8443
    assert auth == basic("User", "")
    assert parse_proxy_url("http://proxy.test")[0].port == 80


async def test_no_proxy_configured_is_direct() -> None:
    assert await ProxySettings().choose(URL("https://example.test/")) is None


# --------------------------------------------------------------------------- properties

_label = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)  # never an IP
_domain = st.lists(_label, min_size=1, max_size=4).map(".".join)


@given(domain=_domain, sub=st.lists(_label, max_size=3).map(".".join),
       dots=st.sampled_from(["", ".", "*."]))
def test_a_domain_entry_covers_itself_and_its_subdomains(domain: str, sub: str, dots: str) -> None:
    matcher = NoProxy.parse(f"other.invalid, {dots}{domain}")
    host = f"{sub}.{domain}" if sub else domain
    assert matcher.matches(host, 443)
    # Sharing a suffix of characters is not enough: the match is on label boundaries.
    assert not matcher.matches("x" + domain, 443)
