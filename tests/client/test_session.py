"""ClientSession: construction, defaults, verbs, lifecycle, auth, cookies, safety."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import Iterator
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import Any

import pytest
from multidict import CIMultiDict, MultiDict
from yarl import URL

import ketch
from ketch_cookies import AbstractCookieJar
from tests.servers import HTTPServer, Reply, Request


async def echo(req: Request, writer: asyncio.StreamWriter) -> Reply:
    if req.method == "HEAD":
        return Reply()  # RFC 9110 §9.3.2: no content in a response to HEAD
    payload = {
        "method": req.method,
        "target": req.target,
        "headers": req.headers,
        "body": req.body.decode("latin-1"),
    }
    return Reply(body=json.dumps(payload).encode(), headers=[("Content-Type", "application/json")])


def header(got: dict[str, Any], name: str) -> str | None:
    values = [v for k, v in got["headers"] if k.lower() == name.lower()]
    assert len(values) <= 1, values
    return values[0] if values else None


class MemoryJar(AbstractCookieJar):
    """A user-supplied jar (the interface is public): keeps name=value per host."""

    def __init__(self) -> None:
        self.cookies: dict[str, SimpleCookie] = {}
        self.updates: list[tuple[list[str], URL]] = []

    def __len__(self) -> int:
        return sum(len(c) for c in self.cookies.values())

    def __iter__(self) -> Iterator[Morsel[str]]:
        for c in self.cookies.values():
            yield from c.values()

    def clear(self, predicate: Any = None) -> None:
        self.cookies.clear()

    def clear_domain(self, domain: str) -> None:
        self.cookies.pop(domain, None)

    def update_cookies(self, cookies: Any, response_url: URL = URL()) -> None:
        jar = self.cookies.setdefault(response_url.host or "", SimpleCookie())
        items = cookies.items() if hasattr(cookies, "items") else cookies
        for name, value in items:
            jar[name] = value.value if isinstance(value, Morsel) else value

    def update_cookies_from_headers(self, headers: Any, response_url: URL) -> None:
        self.updates.append((list(headers), response_url))
        super().update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        found: SimpleCookie = SimpleCookie()
        for name, morsel in self.cookies.get(request_url.host or "", SimpleCookie()).items():
            found[name] = morsel.value
        return found


async def test_headers_are_a_copy_and_later_changes_apply() -> None:
    given = {"X-Token": "one"}
    async with HTTPServer(echo) as server, ketch.ClientSession(headers=given) as s:
        assert isinstance(s.headers, CIMultiDict)
        given["X-Token"] = "changed-outside"
        got = await (await s.get(server.url)).json()
        assert header(got, "X-Token") == "one"
        s.headers["X-Token"] = "two"
        got = await (await s.get(server.url)).json()
        assert header(got, "X-Token") == "two"
        got = await (await s.get(server.url, headers={"x-token": "three"})).json()
        assert header(got, "X-Token") == "three"


async def test_auto_headers_and_skipping_them() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession() as s:
            got = await (await s.get(server.url)).json()
            assert header(got, "Host") == f"127.0.0.1:{server.port}"
            assert got["headers"][0][0] == "Host"  # RFC 9112 §3.2: Host first
            assert header(got, "Accept") == "*/*"
            assert "gzip" in (header(got, "Accept-Encoding") or "")
            assert (header(got, "User-Agent") or "").startswith("Python/3.")
            assert header(got, "Content-Length") is None  # GET without a body
            got = await (await s.get(server.url, skip_auto_headers=["user-agent"])).json()
            assert header(got, "User-Agent") is None
            assert header(got, "Accept") == "*/*"
        async with ketch.ClientSession(skip_auto_headers=("Accept-Encoding",)) as s:
            got = await (await s.get(server.url)).json()
            assert header(got, "Accept-Encoding") is None
            assert header(got, "Accept") == "*/*"


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
async def test_every_verb_with_await_and_async_with(method: str) -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        verb = getattr(s, method)
        resp = await verb(server.url + "/a")
        assert resp.status == 200
        resp.release()
        async with verb(server.url + "/b") as resp2:
            assert resp2.method == method.upper()
        async with s.request(method, server.url + "/c") as resp3:
            assert resp3.status == 200
    assert [r.method for r in server.requests] == [method.upper()] * 3
    assert [r.target for r in server.requests] == ["/a", "/b", "/c"]
    if method in ("post", "put", "patch", "delete"):
        assert server.requests[0].header("Content-Length") == "0"


async def test_base_url_joins_relative_urls() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(base_url=server.url + "/api/") as s:
            assert (await (await s.get("users?x=1")).json())["target"] == "/api/users?x=1"
            assert (await (await s.get("/root")).json())["target"] == "/root"
        with pytest.raises(ValueError, match="absolute"):
            ketch.ClientSession(base_url="/relative/")


@pytest.mark.parametrize("base", ["http://h.example/api", "http://h.example/api?x=/"])
async def test_base_url_without_trailing_slash_is_a_value_error(base: str) -> None:
    """As aiohttp: "users" joined onto ".../api" would silently give "/users"."""
    with pytest.raises(ValueError, match=r"trailing '/'.*/api"):
        ketch.ClientSession(base_url=base)
    with pytest.raises(ValueError, match="trailing '/'"):
        ketch.ClientSession(base_url=URL(base))


async def test_base_url_of_a_bare_origin_is_accepted() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(base_url=server.url) as s:  # path "/" implied
            assert (await (await s.get("users")).json())["target"] == "/users"


@pytest.mark.parametrize(
    ("params", "target"),
    [
        ({"a": "1", "b": "x y"}, "/p?a=1&b=x+y"),
        (MultiDict([("a", "1"), ("a", "2")]), "/p?a=1&a=2"),
        ([("k", "v"), ("k", "w")], "/p?k=v&k=w"),
        ("raw=1&two=2", "/p?raw=1&two=2"),
    ],
)
async def test_params_forms(params: Any, target: str) -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        got = await (await s.get(server.url + "/p", params=params)).json()
    assert got["target"] == target


async def test_params_extend_an_existing_query_and_fragment_is_not_sent() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        resp = await s.get(server.url + "/p?a=1#frag", params={"b": "2"})
        got = await resp.json()
    assert got["target"] == "/p?a=1&b=2"
    assert resp.request_info.real_url.fragment == "frag"
    assert resp.request_info.url.fragment == ""


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"X-Evil": "a\r\nInjected: yes"}},
        {"headers": {"X-Evil": "a\nb"}},
        {"headers": {"X-Evil": "nul\x00"}},
        {"headers": {"Bad\r\nName": "v"}},
        {"method": "GET\r\nX: y"},
        {"method": "GE T"},
        {"url_suffix": "/a\r\nInjected: yes"},
    ],
)
async def test_header_injection_is_refused_before_sending(kwargs: dict[str, Any]) -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        method = kwargs.pop("method", "GET")
        url = server.url + kwargs.pop("url_suffix", "/")
        if "\r" in url:
            # yarl percent-encodes CR/LF in a path; an already-encoded URL must be checked too.
            url_obj = URL(url, encoded=True)
            with pytest.raises(ValueError):
                await s.request(method, url_obj, **kwargs)
        else:
            with pytest.raises(ValueError):
                await s.request(method, url, **kwargs)
    assert server.connections == 0
    assert server.requests == []


async def test_version_with_control_characters_is_refused() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession(version=ketch.HttpVersion(1, 2)) as s:
        with pytest.raises(ValueError, match="version"):
            await s.get(server.url)
    assert server.connections == 0


async def test_http10_version_is_sent() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(version=ketch.HttpVersion10) as s:
            await (await s.get(server.url)).read()
    assert server.requests[0].version == "HTTP/1.0"


async def test_closed_session_refuses_requests_and_close_is_idempotent() -> None:
    s = ketch.ClientSession()
    assert not s.closed
    await s.close()
    await s.close()
    assert s.closed
    with pytest.raises(RuntimeError, match="closed"):
        await s.get("http://127.0.0.1:9/")


async def test_connector_owner_false_leaves_the_connector_open() -> None:
    connector = ketch.TCPConnector()
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(connector=connector, connector_owner=False) as s:
            assert s.connector is connector
            await (await s.get(server.url)).read()
        assert not connector.closed
        async with ketch.ClientSession(connector=connector) as s2:
            await (await s2.get(server.url)).read()
        assert connector.closed
    assert server.connections == 1


async def test_unclosed_session_warns_naming_where_it_was_created() -> None:
    gc.collect()  # sessions other tests left behind warn now, not inside this test
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    try:
        session = ketch.ClientSession(connector=ketch.TCPConnector())
        connector = session.connector
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del session
            gc.collect()
        await connector.close()
    finally:
        loop.set_debug(False)
        loop.set_exception_handler(None)
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)
                and "test_unclosed_session_warns_naming_where_it_was_created" in str(w.message)]
    assert len(messages) == 1
    assert messages[0].startswith("Unclosed client session")
    assert "test_session.py" in messages[0]  # where it was created
    assert [c["message"] for c in contexts if c.get("client_session") is not None] == [
        "Unclosed client session"]


async def test_module_level_request() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.request("GET", server.url + "/one") as resp:
            assert (await resp.json())["target"] == "/one"
        resp2 = await ketch.request("POST", server.url + "/two", data=b"abc")
        assert (await resp2.json())["body"] == "abc"
    assert server.connections == 2


async def test_data_and_json_together_is_a_value_error() -> None:
    async with ketch.ClientSession() as s:
        with pytest.raises(ValueError, match="data and json"):
            await s.post("http://127.0.0.1:9/", data=b"x", json={"a": 1})


@pytest.mark.parametrize(
    ("url", "exc"),
    [
        ("ftp://example.com/", ketch.NonHttpUrlClientError),
        ("/relative/without/base", ketch.InvalidUrlClientError),
        ("http:///no-host", ketch.InvalidUrlClientError),
    ],
)
async def test_unusable_urls(url: str, exc: type[Exception]) -> None:
    async with ketch.ClientSession() as s:
        with pytest.raises(exc):
            await s.get(url)


async def test_url_credentials_become_basic_auth() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        url = server.url.replace("http://", "http://user:p%40ss@") + "/x"
        got = await (await s.get(url)).json()
        assert header(got, "Authorization") == ketch.BasicAuth("user", "p@ss").encode()
        with pytest.raises(ValueError, match="credentials encoded in URL"):
            await s.get(url, auth=ketch.BasicAuth("other", "pw"))
        with pytest.raises(ValueError, match="AUTHORIZATION header"):
            await s.get(server.url, auth=ketch.BasicAuth("a", "b"),
                        headers={"Authorization": "Bearer x"})
        with pytest.raises(TypeError, match="BasicAuth"):
            await s.get(server.url, auth=("user", "pw"))  # type: ignore[arg-type]


async def test_session_auth_and_per_request_auth() -> None:
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(auth=ketch.BasicAuth("sess", "pw")) as s:
            got = await (await s.get(server.url)).json()
            assert header(got, "Authorization") == ketch.BasicAuth("sess", "pw").encode()
            got = await (await s.get(server.url, auth=ketch.BasicAuth("req", "pw"))).json()
            assert header(got, "Authorization") == ketch.BasicAuth("req", "pw").encode()


async def test_cookies_from_session_jar_and_request_are_merged() -> None:
    jar = MemoryJar()
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(cookie_jar=jar, cookies={"sess": "1"}) as s:
            assert s.cookie_jar is jar
            # update_cookies with no URL files them under "" in this jar: add one for the host.
            jar.update_cookies({"jar": "2"}, URL(server.url))
            got = await (await s.get(server.url, cookies={"req": "3", "jar": "override"})).json()
            assert header(got, "Cookie") == "jar=override; req=3"
            got = await (await s.get(server.url, headers={"Cookie": "mine=0"})).json()
            assert header(got, "Cookie") == "mine=0; jar=2"


async def test_set_cookie_goes_to_the_jar_per_response() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")])

    jar = MemoryJar()
    async with HTTPServer(handler) as server, ketch.ClientSession(cookie_jar=jar) as s:
        await (await s.get(server.url + "/x")).read()
    assert jar.updates == [(["a=1; Path=/", "b=2"], URL(server.url + "/x"))]
    assert {m.key for m in jar} == {"a", "b"}


async def test_raise_for_status_session_request_and_callable() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(status=404, reason="Not Found", body=b"nope")

    async with HTTPServer(handler) as server:
        async with ketch.ClientSession(raise_for_status=True) as s:
            with pytest.raises(ketch.ClientResponseError) as info:
                await s.get(server.url + "/missing")
            assert info.value.status == 404
            assert info.value.request_info.url == URL(server.url + "/missing")
            resp = await s.get(server.url, raise_for_status=False)
            assert resp.status == 404
            resp.release()
        seen: list[int] = []

        async def check(resp: ketch.ClientResponse) -> None:
            seen.append(resp.status)
            raise RuntimeError("custom check")

        async with ketch.ClientSession() as s:
            resp = await s.get(server.url)
            assert resp.status == 404
            resp.release()
            with pytest.raises(RuntimeError, match="custom check"):
                await s.get(server.url, raise_for_status=check)
        assert seen == [404]


async def test_stale_pooled_connection_is_retried_once_for_idempotent_methods() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        if req.target == "/drop":
            return None  # read the request, then close without answering
        return Reply(body=b"ok")

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        await (await s.get(server.url + "/warm")).read()
        # The pooled connection is closed by the server as the next request arrives:
        # a GET is sent again on a new connection, and fails only if that fails too.
        with pytest.raises(ketch.ServerDisconnectedError):
            await s.get(server.url + "/drop")
        assert [r.target for r in server.requests] == ["/warm", "/drop", "/drop"]
        await (await s.get(server.url + "/warm")).read()
        with pytest.raises(ketch.ServerDisconnectedError):
            await s.post(server.url + "/drop", data=b"once")
        assert [r.method for r in server.requests].count("POST") == 1


async def test_session_properties_follow_aiohttp() -> None:
    timeout = ketch.ClientTimeout(total=5)
    async with ketch.ClientSession(timeout=timeout, auto_decompress=False,
                                   requote_redirect_url=False) as s:
        assert s.timeout is timeout
        assert s.auto_decompress is False
        assert s.requote_redirect_url is False
        assert s.raise_for_status is False
        assert s.trust_env is False
        assert s.version == ketch.HttpVersion11
        assert s.connector_owner is True
        assert s.auth is None
    async with ketch.ClientSession() as s:
        assert s.timeout == ketch.ClientTimeout(total=300, sock_connect=30)


async def test_cancelled_request_closes_its_connection_and_frees_the_slot() -> None:
    started = asyncio.Event()

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/stall":
            started.set()
            await asyncio.sleep(30)
        return Reply(body=b"ok")

    async with HTTPServer(handler) as server, ketch.ClientSession(
        connector=ketch.TCPConnector(limit=1)
    ) as s:
        await (await s.get(server.url + "/warm")).read()
        task = asyncio.ensure_future(s.get(server.url + "/stall"))
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        resp = await s.get(server.url + "/after", timeout=ketch.ClientTimeout(connect=2))
        assert await resp.read() == b"ok"
    # The connection that saw the cancellation was closed, not pooled: a new one was made.
    assert server.connections == 2


async def test_trust_env_takes_target_credentials_from_netrc(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login nuser password npass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    async with HTTPServer(echo) as server:
        async with ketch.ClientSession(trust_env=True) as s:
            got = await (await s.get(server.url)).json()
            assert header(got, "Authorization") == ketch.BasicAuth("nuser", "npass").encode()
            # An explicit Authorization header wins over .netrc.
            got = await (await s.get(server.url, headers={"Authorization": "Bearer t"})).json()
            assert header(got, "Authorization") == "Bearer t"
        async with ketch.ClientSession() as s:
            got = await (await s.get(server.url)).json()
            assert header(got, "Authorization") is None  # only with trust_env


async def test_response_limits_and_decompression_per_request() -> None:
    import gzip

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/long":
            return Reply(headers=[("X-Long", "v" * 500)], body=b"x")
        return Reply(body=gzip.compress(b"plain text"), headers=[("Content-Encoding", "gzip")])

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        assert await (await s.get(server.url + "/gz")).read() == b"plain text"
        raw = await (await s.get(server.url + "/gz", auto_decompress=False)).read()
        assert gzip.decompress(raw) == b"plain text"
        assert await (await s.get(server.url + "/long")).read() == b"x"
        with pytest.raises(ketch.ClientResponseError) as info:
            await s.get(server.url + "/long", max_field_size=100)
        assert info.value.status == 400
    async with HTTPServer(handler) as server, ketch.ClientSession(max_field_size=100) as s:
        with pytest.raises(ketch.ClientResponseError):
            await s.get(server.url + "/long")
        assert await (await s.get(server.url + "/long", max_field_size=1000)).read() == b"x"
