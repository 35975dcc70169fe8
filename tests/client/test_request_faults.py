"""Request-side faults against loopback servers: early answers during an upload, bodies
that disagree with their Content-Length, and the total timeout while waiting for the head.

Each case checks what the user gets (aiohttp's behaviour) and what the pool keeps: a
connection whose request was not fully written is never pooled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import ketch


def pool_state(s: ketch.ClientSession) -> tuple[int, int]:
    """(connections holding a slot, idle connections) of the session's connector."""
    conn = s.connector
    assert conn is not None
    return conn._open, len(conn._idle_lru)  # type: ignore[attr-defined]


async def test_early_response_mid_upload_is_returned_and_never_pooled() -> None:
    """The server answers 413 after the head and keeps reading: the user gets the 413
    (as aiohttp), and the half-written connection is closed, not pooled."""
    answered = asyncio.Event()
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nnope")
        await writer.drain()
        answered.set()
        try:
            while await reader.read(65536):  # keep the connection open, as a server may
                pass
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def upload() -> AsyncIterator[bytes]:
        yield b"a" * 1024
        await asyncio.wait_for(answered.wait(), 5)
        for _ in range(500):  # until the client sees the answer and stops sending
            await asyncio.sleep(0.01)
            yield b"b" * 1024

    try:
        async with ketch.ClientSession() as s:
            async with s.put(f"http://127.0.0.1:{port}/up", data=upload()) as resp:
                assert resp.status == 413
                assert await resp.read() == b"nope"
            assert pool_state(s) == (0, 0)
    finally:
        server.close()
        await server.wait_closed()
    assert len(received) == 1
