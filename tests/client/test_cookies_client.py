"""The cookie jar through the client: Set-Cookie on redirects, per hop, over real loopback servers.

Issue 4's acceptance: a cookie set by a redirect response is stored and sent on the next
hop, and never sent to another host. Servers listen on 127.0.0.1 and 127.0.0.2 (both
loopback); "localhost" names the first one as a host name, for the strict jar.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import ketch
from ketch_cookies import CookieJar
from tests.servers import HTTPServer, Reply, Request


def redirect(location: str, *set_cookies: str) -> Reply:
    headers = [("Location", location)] + [("Set-Cookie", v) for v in set_cookies]
    return Reply(status=302, reason="Found", headers=headers)


def echo(req: Request) -> Reply:
    body = json.dumps({"target": req.target, "cookie": req.header("Cookie")}).encode()
    return Reply(body=body, headers=[("Content-Type", "application/json")])


def cookies_seen(server: HTTPServer) -> list[tuple[str, str | None]]:
    return [(r.target.split("?")[0], r.header("Cookie")) for r in server.requests]


async def echo_handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return echo(req)


async def test_redirect_cookie_is_sent_on_the_next_hop_and_not_to_another_host() -> None:
    other = HTTPServer(echo_handler, host="127.0.0.2")

    async def origin_handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/login":
            return redirect("/home", "sid=abc123; Path=/; HttpOnly", "theme=dark; Max-Age=60")
        if req.target == "/home":
            return redirect(f"{other.url}/elsewhere", "step=2")
        return echo(req)

    async with other, HTTPServer(origin_handler, host="127.0.0.1") as origin:
        jar = CookieJar(unsafe=True)  # the hosts are IP addresses
        async with ketch.ClientSession(cookie_jar=jar) as session:
            async with session.get(origin.url + "/login") as resp:
                landed = await resp.json()
                assert resp.status == 200 and len(resp.history) == 2
            async with session.get(origin.url + "/later") as resp:
                later = await resp.json()
    assert cookies_seen(origin) == [
        ("/login", None),
        ("/home", "sid=abc123; theme=dark"),  # set by the redirect, sent on the next hop
        ("/later", "sid=abc123; theme=dark; step=2"),
    ]
    assert landed == {"target": "/elsewhere", "cookie": None}  # another host gets none
    assert later["cookie"] == "sid=abc123; theme=dark; step=2"
    assert sorted((m.key, m["domain"]) for m in jar) == [
        ("sid", "127.0.0.1"), ("step", "127.0.0.1"), ("theme", "127.0.0.1"),
    ]


async def test_strict_jar_uses_host_names_and_refuses_ip_hosts() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        port = writer.get_extra_info("sockname")[1]
        if req.target == "/start":
            # Domain=localhost is a public suffix (one label): the cookie stays host-only.
            return redirect(f"http://localhost:{port}/next", "sid=1; Domain=localhost; Path=/")
        if req.target == "/next":
            return redirect(f"http://127.0.0.1:{port}/by-ip", "ip=1")
        if req.target == "/by-ip":
            return redirect(f"http://localhost:{port}/end", "from_ip=1")
        return echo(req)

    async with HTTPServer(handler, host="127.0.0.1") as server:
        jar = CookieJar()
        async with ketch.ClientSession(cookie_jar=jar) as session:
            async with session.get(f"http://localhost:{server.port}/start") as resp:
                end = await resp.json()
    assert cookies_seen(server) == [
        ("/start", None),
        ("/next", "sid=1"),
        ("/by-ip", None),  # the same server by its address: another host, and an IP
        ("/end", "sid=1; ip=1"),  # from_ip was refused: no cookies from IP hosts
    ]
    assert end["cookie"] == "sid=1; ip=1"
    assert {m.key for m in jar} == {"sid", "ip"}


async def test_jar_saved_after_a_session_restores_it(tmp_path: Path) -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/login":
            return redirect("/home", "sid=s3cret; Path=/; Max-Age=3600")
        return echo(req)

    async with HTTPServer(handler, host="127.0.0.1") as server:
        jar = CookieJar(unsafe=True)
        async with ketch.ClientSession(cookie_jar=jar) as session:
            await (await session.get(server.url + "/login")).read()
        jar.save(tmp_path / "cookies.json")
        restored = CookieJar(unsafe=True)
        restored.load(tmp_path / "cookies.json")
        async with ketch.ClientSession(cookie_jar=restored) as session:
            async with session.get(server.url + "/again") as resp:
                again = await resp.json()
    assert again["cookie"] == "sid=s3cret"
