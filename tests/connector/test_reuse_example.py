"""The README's "use it without ketch" example, run as written against a loopback server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from ketch_connector import TCPConnector

from ..servers import HTTPServer, Reply, Request

README = Path(__file__).parents[2] / "packages" / "connector" / "README.md"
Fetch = Callable[[TCPConnector, str, int, str], Awaitable[bytes]]


def readme_fetch() -> Fetch:
    """The ``fetch`` function of the README's first code block (its imports included)."""
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    source = block.group(1).split("async def main")[0]
    namespace: dict[str, object] = {}
    exec(compile(source, str(README), "exec"), namespace)
    fetch = namespace["fetch"]
    assert callable(fetch)
    return fetch  # type: ignore[return-value]


async def test_readme_example_speaks_http1_over_a_pooled_connection() -> None:
    fetch = readme_fetch()

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=b"page " + req.target.encode(), chunked=req.target == "/chunked")

    async with HTTPServer(handler) as server:
        async with TCPConnector(limit=10) as connector:
            assert await fetch(connector, "127.0.0.1", server.port, "/a") == b"page /a"
            assert await fetch(connector, "127.0.0.1", server.port, "/chunked") == b"page /chunked"
            assert server.connections == 1  # released and reused
            assert len(connector._idle_lru) == 1


async def test_readme_example_closes_when_not_reusable() -> None:
    fetch = readme_fetch()

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        return Reply(body=b"bye", close=True)

    async with HTTPServer(handler) as server, TCPConnector() as connector:
        assert await fetch(connector, "127.0.0.1", server.port, "/") == b"bye"
        assert connector._open == 0
