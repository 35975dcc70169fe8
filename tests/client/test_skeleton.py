"""The walking skeleton: one real request path through every package."""

from __future__ import annotations

import asyncio
import json

import pytest
from multidict import CIMultiDictProxy

import ketch
from tests.servers import HTTPServer, Reply, Request


async def echo(req: Request, writer: asyncio.StreamWriter) -> Reply:
    if req.target == "/chunked":
        return Reply(body=b"hello chunked world" * 100, chunked=True)
    if req.target == "/json":
        return Reply(body=b'{"a": [1, 2, 3]}', headers=[("Content-Type", "application/json")])
    payload = {
        "method": req.method,
        "target": req.target,
        "body": req.body.decode("utf-8"),
        "content_type": req.header("Content-Type"),
    }
    return Reply(body=json.dumps(payload).encode(), headers=[("Content-Type", "application/json")])


async def test_get_reuses_the_keepalive_connection() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        for _ in range(3):
            async with s.get(server.url + "/x") as r:
                assert r.status == 200
                assert isinstance(r.headers, CIMultiDictProxy)
                assert (await r.json())["target"] == "/x"
        assert server.connections == 1
        assert len(server.requests) == 3


async def test_chunked_body_is_joined() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/chunked") as r:
            assert await r.read() == b"hello chunked world" * 100
            assert await r.text() == "hello chunked world" * 100


async def test_json_response() -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        r = await s.get(server.url + "/json")
        assert await r.json() == {"a": [1, 2, 3]}
        r.release()


@pytest.mark.parametrize(
    ("kwargs", "body", "ctype"),
    [
        ({"data": b"\x00raw"}, "\x00raw", "application/octet-stream"),
        ({"data": "Привет, Мир!"}, "Привет, Мир!", "text/plain; charset=utf-8"),
        ({"json": {"example": "text"}}, '{"example": "text"}', "application/json"),
    ],
)
async def test_post_bodies(kwargs: dict[str, object], body: str, ctype: str) -> None:
    async with HTTPServer(echo) as server, ketch.ClientSession() as s:
        async with s.post(server.url + "/post", **kwargs) as r:
            got = await r.json()
    assert got["method"] == "POST"
    assert got["body"] == body
    assert got["content_type"] == ctype


async def test_refused_connection_is_a_connector_error() -> None:
    # Bind then close a socket to get a port nothing listens on.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientConnectorError) as info:
            await s.get(f"http://127.0.0.1:{port}/")
    assert info.value.port == port
    assert isinstance(info.value, OSError)
    assert "Cannot connect to host 127.0.0.1" in str(info.value)
