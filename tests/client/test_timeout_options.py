"""ClientTimeout values with aiohttp's meaning: 0 is no limit, a session's ``timeout=None``
is the default timeout, and a request's ``timeout=None`` is the session's timeout."""

from __future__ import annotations

import asyncio

import pytest

import ketch
from tests.servers import HTTPServer, Reply, Request


async def ok(req: Request, writer: asyncio.StreamWriter) -> Reply:
    return Reply(body=b"ok")


ZERO = ketch.ClientTimeout(total=0, connect=0, sock_read=0, sock_connect=0)


async def test_zero_fields_mean_no_limit() -> None:
    async with HTTPServer(ok) as server:
        async with ketch.ClientSession(timeout=ZERO) as s:
            async with s.get(server.url) as resp:  # new connection: connect, sock_connect
                assert await resp.read() == b"ok"
            async with s.post(server.url, data=b"x") as resp:  # pooled
                assert await resp.read() == b"ok"
        async with ketch.ClientSession() as s:
            for timeout in (ZERO, 0, ketch.ClientTimeout(total=0)):
                async with s.get(server.url, timeout=timeout) as resp:
                    assert await resp.read() == b"ok"


async def test_session_timeout_none_is_the_default() -> None:
    async with ketch.ClientSession(timeout=None) as s:
        assert s.timeout == ketch.ClientTimeout(total=300, sock_connect=30)


@pytest.mark.parametrize("value", [5, 2.5, "10", (1, 2)])
async def test_session_timeout_of_another_type_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError, match=rf"cannot be of {type(value).__name__} type"):
        ketch.ClientSession(timeout=value)  # type: ignore[arg-type]


async def test_request_timeout_none_uses_the_session_timeout() -> None:
    """The session's sock_read still applies to a request given timeout=None (before,
    None dropped every limit and this request waited for ever)."""
    release = asyncio.Event()

    async def stall(req: Request, writer: asyncio.StreamWriter) -> Reply:
        await asyncio.wait_for(release.wait(), 10)
        return Reply(body=b"late")

    async with HTTPServer(stall) as server:
        async with ketch.ClientSession(timeout=ketch.ClientTimeout(sock_read=0.2)) as s:
            with pytest.raises(ketch.SocketTimeoutError):
                await asyncio.wait_for(s.get(server.url, timeout=None), 5)
        release.set()
