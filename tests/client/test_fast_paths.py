"""Behaviour the client's fast paths must keep (the pooled-connection reuse without a
socket peek, the lazy request_info, the already-complete body)."""

from __future__ import annotations

import asyncio
import time

import pytest

import ketch
from tests.servers import HTTPServer, Reply, Request


async def test_server_closing_unannounced_after_each_response_never_fails_a_get() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply | None:
        writer.write(Reply(body=b"ok").encode())
        return None  # then close, without Connection: close

    async with HTTPServer(handler) as server, ketch.ClientSession() as s:
        for _ in range(5):
            async with s.get(server.url) as resp:
                assert await resp.read() == b"ok"
            # The FIN reaches the socket while the loop is busy: the pooled connection
            # looks alive when the next GET takes it (reused at once, it is not peeked).
            time.sleep(0.01)
        assert server.connections >= 5
        assert len(server.requests) >= 5


async def test_connector_overriding_connect_sees_every_acquire() -> None:
    # The session takes pooled connections without a coroutine only from connectors whose
    # connect() is the base one; an override (a user's instrumentation) is always called.
    calls = []

    class Counting(ketch.TCPConnector):
        async def connect(self, key, traces=(), *, timeout=None, sock_connect=None):  # type: ignore[no-untyped-def]
            calls.append(key)
            return await super().connect(key, traces, timeout=timeout, sock_connect=sock_connect)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=b"ok")

    async with HTTPServer(handler) as server, ketch.ClientSession(connector=Counting()) as s:
        for _ in range(3):
            async with s.get(server.url) as resp:
                assert await resp.read() == b"ok"
        assert len(calls) == 3
        assert server.connections == 1


async def test_cached_url_strings_resolve_against_the_base_and_bad_ones_always_fail() -> None:
    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=req.target.encode())

    async with HTTPServer(handler) as server, ketch.ClientSession(base_url=server.url) as s:
        for _ in range(2):
            async with s.get("/a?x=1") as resp:
                assert await resp.read() == b"/a?x=1"
                assert str(resp.url) == f"{server.url}/a?x=1"
        for _ in range(2):  # never cached: it fails every time
            with pytest.raises(ketch.NonHttpUrlClientError):
                await s.get("ftp://example.com/")
