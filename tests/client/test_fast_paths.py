"""Behaviour the client's fast paths must keep (the pooled-connection reuse without a
socket peek, the lazy request_info, the already-complete body)."""

from __future__ import annotations

import asyncio
import time

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
