"""Client middlewares (aiohttp 3.12+): order, per-request override, retry, token refresh."""

from __future__ import annotations

import asyncio
from typing import Any

from yarl import URL

import ketch
from ketch import ClientHandlerType, ClientRequest, ClientResponse
from tests.servers import HTTPServer, Reply, Request


async def test_order_outermost_first_and_per_hop() -> None:
    calls: list[str] = []

    def named(name: str) -> Any:
        async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
            calls.append(f"{name}>{req.url.path}")
            resp = await handler(req)
            calls.append(f"{name}<{resp.status}")
            return resp
        return mw

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.target == "/start":
            return Reply(status=302, headers=[("Location", "/end")])
        return Reply(body=b"done")

    async with HTTPServer(handler) as server, ketch.ClientSession(
        middlewares=(named("a"), named("b"))
    ) as s:
        resp = await s.get(server.url + "/start")
        assert await resp.read() == b"done"
    assert calls == ["a>/start", "b>/start", "b<302", "a<302",
                     "a>/end", "b>/end", "b<200", "a<200"]


async def test_per_request_middlewares_replace_the_session_ones() -> None:
    calls: list[str] = []

    async def session_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        calls.append("session")
        return await handler(req)

    async def request_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        calls.append("request")
        return await handler(req)

    async def ok(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=b"ok")

    async with HTTPServer(ok) as server, ketch.ClientSession(middlewares=[session_mw]) as s:
        await (await s.get(server.url)).read()
        await (await s.get(server.url, middlewares=[request_mw])).read()
        await (await s.get(server.url, middlewares=())).read()
    assert calls == ["session", "request"]


async def test_retry_middleware() -> None:
    attempts: list[int] = []

    async def retry(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        for attempt in range(1, 4):
            attempts.append(attempt)
            resp = await handler(req)
            if resp.status != 503:
                return resp
            resp.release()
            await asyncio.sleep(0)  # a real one would back off here
        return resp

    async def flaky(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if len(server.requests) < 3:
            return Reply(status=503, reason="Service Unavailable", body=b"busy")
        return Reply(body=req.body)

    async with HTTPServer(flaky) as server, ketch.ClientSession(middlewares=[retry]) as s:
        resp = await s.post(server.url, data=b"resend me")
        assert resp.status == 200
        assert await resp.read() == b"resend me"
    assert attempts == [1, 2, 3]
    assert [r.body for r in server.requests] == [b"resend me"] * 3
    assert server.connections == 1  # released 503s kept the connection


async def test_token_refresh_middleware() -> None:
    tokens = iter(["fresh-1", "fresh-2"])
    state = {"token": "expired"}

    async def auth(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.headers["Authorization"] = f"Bearer {state['token']}"
        resp = await handler(req)
        if resp.status == 401:
            resp.release()
            state["token"] = next(tokens)  # a real one would call the token endpoint
            req.headers["Authorization"] = f"Bearer {state['token']}"
            resp = await handler(req)
        return resp

    async def api(req: Request, writer: asyncio.StreamWriter) -> Reply:
        if req.header("Authorization") != "Bearer fresh-1":
            return Reply(status=401, reason="Unauthorized")
        return Reply(body=b"secret data")

    async with HTTPServer(api) as server, ketch.ClientSession(middlewares=[auth]) as s:
        resp = await s.get(server.url + "/data")
        assert await resp.read() == b"secret data"
        resp = await s.get(server.url + "/data")  # the refreshed token is reused
        assert await resp.read() == b"secret data"
    assert [r.header("Authorization") for r in server.requests] == [
        "Bearer expired", "Bearer fresh-1", "Bearer fresh-1"]


async def test_middleware_may_change_the_url_and_answer_errors_propagate() -> None:
    async def reroute(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.url = req.url.with_path("/rerouted")
        return await handler(req)

    async def boom(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        raise RuntimeError("middleware failed")

    async def echo_target(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=req.target.encode())

    async with HTTPServer(echo_target) as server, ketch.ClientSession() as s:
        resp = await s.get(server.url + "/original", middlewares=[reroute])
        assert await resp.read() == b"/rerouted"
        try:
            await s.get(server.url, middlewares=[boom])
        except RuntimeError as exc:
            assert str(exc) == "middleware failed"
        else:
            raise AssertionError("the middleware's error was swallowed")
    assert [r.target for r in server.requests] == ["/rerouted"]
    assert resp.url == URL(server.url + "/original")


async def test_digest_auth_middleware_runs_in_the_pipeline() -> None:
    # A server that demands digest auth once; the middleware answers the challenge.
    async def digest(req: Request, writer: asyncio.StreamWriter) -> Reply:
        value = req.header("Authorization") or ""
        if not value.startswith("Digest "):
            return Reply(status=401, reason="Unauthorized", headers=[(
                "WWW-Authenticate",
                'Digest realm="r", nonce="abc", qop="auth", algorithm=MD5')])
        return Reply(body=b"in")

    mw = ketch.DigestAuthMiddleware("user", "pw")
    async with HTTPServer(digest) as server, ketch.ClientSession(middlewares=[mw]) as s:
        resp = await s.get(server.url + "/p")
        assert await resp.read() == b"in"
    assert 'username="user"' in (server.requests[-1].header("Authorization") or "")
