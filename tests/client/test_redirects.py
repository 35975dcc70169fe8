"""Redirects: methods and bodies per status, Location forms, limits, errors, credentials."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

import ketch
from tests.client.test_session import MemoryJar, header
from tests.servers import HTTPServer, Reply, Request


def redirect(status: int, location: str, *extra: tuple[str, str]) -> Reply:
    return Reply(status=status, reason="Redirect", headers=[("Location", location), *extra])


def dump(req: Request) -> Reply:
    if req.method == "HEAD":
        return Reply()  # RFC 9110 §9.3.2: no content in a response to HEAD
    payload = {"method": req.method, "target": req.target, "headers": req.headers,
               "body": req.body.decode("latin-1")}
    return Reply(body=json.dumps(payload).encode(), headers=[("Content-Type", "application/json")])


async def hop_server(req: Request, writer: asyncio.StreamWriter) -> Reply:
    """/r/<status> redirects to /final; /final echoes."""
    parts = req.target.split("/")
    if parts[1] == "r":
        return redirect(int(parts[2]), "/final")
    return dump(req)


@pytest.mark.parametrize(
    ("status", "method", "next_method", "keeps_body"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (301, "PUT", "PUT", True),
        (302, "DELETE", "DELETE", True),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (303, "HEAD", "HEAD", False),
        (307, "POST", "POST", True),
        (308, "PUT", "PUT", True),
    ],
)
async def test_method_and_body_per_status(status: int, method: str, next_method: str,
                                          keeps_body: bool) -> None:
    async with HTTPServer(hop_server) as server, ketch.ClientSession() as s:
        resp = await s.request(method, f"{server.url}/r/{status}", data=b"payload",
                               allow_redirects=True)
        await resp.read()
    final = server.requests[-1]
    assert final.method == next_method
    assert final.target == "/final"
    if keeps_body:
        assert final.body == b"payload"
        assert final.header("Content-Length") == "7"
    else:
        assert final.body == b""
        assert final.header("Content-Length") is None
        assert final.header("Content-Type") is None
    assert [r.status for r in resp.history] == [status]
    assert resp.url == URL(server.url + "/final")


async def test_history_and_urls() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/a":
            return redirect(301, "b")  # relative to /a
        if req.target == "/b":
            return redirect(302, f"http://127.0.0.1:{writer.get_extra_info('sockname')[1]}/c?q=1")
        return Reply(body=b"end")

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        resp = await s.get(server.url + "/a")
        assert await resp.read() == b"end"
        assert resp.status == 200
        assert resp.url == URL(server.url + "/c?q=1")
        assert [(r.status, r.url) for r in resp.history] == [
            (301, URL(server.url + "/a")), (302, URL(server.url + "/b"))]
        resp = await s.get(server.url + "/a", allow_redirects=False)
        assert resp.status == 301
        assert resp.history == ()
        assert resp.headers["Location"] == "b"
        resp.release()
    # The redirect bodies were empty and complete: every hop reused one connection.
    assert server.connections == 1


async def test_too_many_redirects() -> None:
    async def loop_handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        n = int(req.target.strip("/") or 0)
        return redirect(302, f"/{n + 1}")

    async with HTTPServer(loop_handler) as server, ketch.ClientSession() as s:
        with pytest.raises(ketch.TooManyRedirects) as info:
            await s.get(server.url + "/0", max_redirects=3)
        assert len(info.value.history) == 3
        assert info.value.request_info.url == URL(server.url + "/0")
        assert len(server.requests) == 3
        with pytest.raises(ketch.TooManyRedirects) as info:
            await s.get(server.url + "/0")
        assert len(info.value.history) == 10  # aiohttp's default max_redirects


@pytest.mark.parametrize(
    ("location", "exc"),
    [
        ("ftp://example.com/file", ketch.NonHttpUrlRedirectClientError),
        ("javascript:alert(1)", ketch.NonHttpUrlRedirectClientError),
        ("http://", ketch.InvalidUrlRedirectClientError),
        ("http://[::1", ketch.InvalidUrlRedirectClientError),
    ],
)
async def test_bad_redirect_targets(location: str, exc: type[Exception]) -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return redirect(302, location)

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        with pytest.raises(exc) as info:
            await s.get(server.url)
    assert isinstance(info.value, ketch.RedirectClientError)
    assert isinstance(info.value, ketch.ClientError)


async def test_redirect_without_location_is_the_answer() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(status=302, reason="Found", body=b"no location")

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        resp = await s.get(server.url)
        assert resp.status == 302
        assert await resp.read() == b"no location"


async def test_non_replayable_body_cannot_follow_307() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"once"

    async with HTTPServer(hop_server) as server, ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientPayloadError, match="cannot be sent again"):
            await s.post(server.url + "/r/307", data=gen())
        # A 303 drops the body, so a one-shot body is fine there.
        resp = await s.post(server.url + "/r/303", data=gen())
        assert (await resp.json())["method"] == "GET"
    assert server.requests[0].body == b"once"


async def test_cross_origin_redirect_drops_credentials_and_request_cookies() -> None:
    async with HTTPServer(lambda r, w: _echo(r)) as other:
        async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
            if req.target == "/go":
                return redirect(302, other.url + "/landed")
            return dump(req)

        jar = MemoryJar()
        async with HTTPServer(handler) as origin, ketch.ClientSession(
            cookie_jar=jar, headers={"Authorization": "Bearer session-token"}
        ) as s:
            jar.update_cookies({"jarcookie": "for-other"}, URL(other.url))
            resp = await s.get(origin.url + "/go", cookies={"reqcookie": "secret"},
                               headers={"Proxy-Authorization": "Basic cHJveHk6cHc="})
            got = await resp.json()
            sent_first = origin.requests[0]
            assert sent_first.header("Authorization") == "Bearer session-token"
            # Cookies are not isolated by port (RFC 6265 §8.5): the jar's goes to both.
            assert sent_first.header("Cookie") == "jarcookie=for-other; reqcookie=secret"
            assert sent_first.header("Proxy-Authorization") == "Basic cHJveHk6cHc="
            assert header(got, "Authorization") is None
            assert header(got, "Proxy-Authorization") is None
            # The jar decides afresh for the new origin; the request's cookies stay behind.
            assert header(got, "Cookie") == "jarcookie=for-other"
            # The session's own headers are untouched for later requests.
            assert s.headers["Authorization"] == "Bearer session-token"


async def test_same_origin_redirect_keeps_credentials() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/go":
            return redirect(302, "/landed")
        return dump(req)

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        got = await (await s.get(server.url + "/go", auth=ketch.BasicAuth("u", "p"),
                                 cookies={"c": "1"})).json()
    assert header(got, "Authorization") == ketch.BasicAuth("u", "p").encode()
    assert header(got, "Cookie") == "c=1"


async def test_credentials_in_redirect_url_supersede() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/go":
            port = writer.get_extra_info("sockname")[1]
            return redirect(302, f"http://other_user:pw2@127.0.0.1:{port}/landed")
        return dump(req)

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        url = server.url.replace("http://", "http://user:pw1@") + "/go"
        got = await (await s.get(url)).json()
    assert server.requests[0].header("Authorization") == ketch.BasicAuth("user", "pw1").encode()
    assert header(got, "Authorization") == ketch.BasicAuth("other_user", "pw2").encode()


async def test_jar_sees_every_hop() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/set":
            return redirect(302, "/check", ("Set-Cookie", "hop=1"))
        return dump(req)

    jar = MemoryJar()
    async with HTTPServer(handler) as server, ketch.ClientSession(cookie_jar=jar) as s:
        resp = await s.get(server.url + "/set")
        got = await resp.json()
    assert header(got, "Cookie") == "hop=1"
    assert jar.updates == [(["hop=1"], URL(server.url + "/set"))]


async def test_redirect_trace_signal_per_hop() -> None:
    events: list[tuple[str, Any]] = []

    async def on_redirect(session: Any, ctx: Any, params: Any) -> None:
        events.append(("redirect", params.response.status))

    async def on_end(session: Any, ctx: Any, params: Any) -> None:
        events.append(("end", params.response.status))

    tc = ketch.TraceConfig()
    tc.on_request_redirect.append(on_redirect)
    tc.on_request_end.append(on_end)
    async with HTTPServer(hop_server) as server, ketch.ClientSession(trace_configs=[tc]) as s:
        await (await s.get(server.url + "/r/301")).read()
    assert events == [("redirect", 301), ("end", 200)]


def _echo(req: Request) -> Any:
    async def done() -> Reply:
        return dump(req)
    return done()


async def test_session_auth_goes_only_to_its_origin() -> None:
    """The session's auth goes to the base URL's origin, else to the first hop's origin."""
    async def dump_other(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return dump(req)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/away":
            return redirect(302, other.url + "/landed")
        if req.target == "/stay":
            return redirect(302, "/landed")
        return dump(req)

    sess = ketch.BasicAuth("sess", "pw")
    async with HTTPServer(dump_other) as other, HTTPServer(handler) as server:
        async with ketch.ClientSession(auth=sess) as s:
            got = await (await s.get(server.url + "/stay")).json()
            assert (got["target"], header(got, "Authorization")) == ("/landed", sess.encode())
            got = await (await s.get(server.url + "/away")).json()
            assert (got["target"], header(got, "Authorization")) == ("/landed", None)
            got = await (await s.get(other.url + "/first")).json()
            assert header(got, "Authorization") == sess.encode()
        async with ketch.ClientSession(base_url=server.url + "/", auth=sess) as s:
            got = await (await s.get("here")).json()
            assert header(got, "Authorization") == sess.encode()
            got = await (await s.get(other.url + "/elsewhere")).json()
            assert header(got, "Authorization") is None
