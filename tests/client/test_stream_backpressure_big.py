"""Backpressure with pieces larger than the high-water mark (whole socket receives).

A socket receive can be up to 256 KiB, twice the default high water (128 KiB). A piece
fed to a reader waiting on an empty buffer is taken at once, so it must not stop the
socket; anything beyond it must. The stream is fed directly as in test_streams.py,
``pause``/``resume`` recorded; the end-to-end tests (a real server, a real socket) check
that a reader that stops reading still stops the socket and that the bytes arrive whole.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

import ketch
from ketch import StreamReader
from tests.client.test_streams import Flow
from tests.servers import HTTPServer, Reply, Request, stopped_reading

BIG_PIECE = b"b" * (256 * 1024)


def make(flow: Flow, limit: int = 2**16) -> StreamReader:
    return StreamReader(asyncio.get_running_loop(), limit, pause=flow.pause, resume=flow.resume)


async def wait_for_reader(stream: StreamReader) -> None:
    """Let a reader task run until it waits for data (bounded)."""
    for _ in range(10):
        await asyncio.sleep(0)
        if stream._waiter is not None:
            return
    raise AssertionError("the reader never waited")


async def test_a_big_piece_for_a_waiting_reader_does_not_pause() -> None:
    flow = Flow()
    s = make(flow)
    reader = asyncio.ensure_future(s.readany())
    await wait_for_reader(s)
    s.feed_data(BIG_PIECE)  # 256 KiB > 128 KiB high water, but the reader takes it now
    assert flow.calls == []
    assert await reader is BIG_PIECE  # handed on as fed, whole
    assert flow.calls == []


async def test_a_second_piece_before_the_reader_ran_pauses() -> None:
    flow = Flow()
    s = make(flow)
    reader = asyncio.ensure_future(s.readany())
    await wait_for_reader(s)
    s.feed_data(BIG_PIECE)
    s.feed_data(b"c" * 1024)  # nobody waits any more: 257 KiB buffered is over the mark
    assert flow.calls == ["pause"]
    assert await reader is BIG_PIECE
    assert flow.calls == ["pause", "resume"]  # 1 KiB left: under low water
    assert await s.readany() == b"c" * 1024


async def test_a_big_piece_without_a_waiting_reader_pauses() -> None:
    flow = Flow()
    s = make(flow)
    s.feed_data(BIG_PIECE)
    assert flow.calls == ["pause"]
    assert await s.readany() is BIG_PIECE
    assert flow.calls == ["pause", "resume"]


async def test_a_reader_waiting_on_a_partial_line_still_pauses() -> None:
    flow = Flow()
    s = make(flow)
    s.feed_data(b"no newline yet")
    reader = asyncio.ensure_future(s.readline())
    await wait_for_reader(s)
    s.feed_data(BIG_PIECE)  # joins bytes already buffered: over the mark, so pause
    assert flow.calls == ["pause"]
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)


# -- end to end ----------------------------------------------------------------------

BODY = hashlib.sha256(b"seed").digest() * (8 * 1024 * 1024 // 32)  # 8 MiB, not uniform


async def app(req: Request, writer: asyncio.StreamWriter) -> Reply:
    if req.target == "/big":
        return Reply(200, BODY, [("Content-Type", "application/octet-stream")])
    return Reply(200, b"small")


async def test_a_reader_that_stops_reading_stops_the_socket_and_gets_every_byte() -> None:
    async with HTTPServer(app) as server, ketch.ClientSession() as s:
        async with s.get(server.url + "/big") as r:
            conn = r.connection
            assert conn is not None and conn.transport is not None
            transport = conn.transport
            pieces = [await r.content.readany()]
            assert await stopped_reading(transport)  # the client stopped reading
            held = r.content.total_bytes - len(pieces[0])
            low, high = r.content.get_read_buffer_limits()
            assert high < held <= high + 256 * 1024  # at most one receive past the mark
            async for chunk in r.content.iter_any():
                pieces.append(chunk)
            assert b"".join(pieces) == BODY
        async with s.get(server.url + "/small") as r:
            assert await r.read() == b"small"
        assert server.connections == 1  # read to the end after pausing: pooled, reused


# -- iter_any (its own iterator: one coroutine per piece) ------------------------------


async def test_iter_any_hands_on_pieces_as_fed_and_stops_at_the_end() -> None:
    flow = Flow()
    s = make(flow)
    pieces = [BIG_PIECE, b"x", b"y" * 70_000]
    got: list[bytes] = []

    async def feed() -> None:
        for piece in pieces:
            await asyncio.sleep(0)
            s.feed_data(piece)
        await asyncio.sleep(0)
        s.feed_eof()

    feeder = asyncio.ensure_future(feed())
    async for chunk in s.iter_any():
        got.append(chunk)
    await feeder
    assert got == pieces and got[0] is BIG_PIECE
    assert [c async for c in s.iter_any()] == []  # after the end: nothing, at once


async def test_iter_any_raises_the_error_the_stream_failed_with() -> None:
    s = make(Flow())
    s.feed_data(b"first")
    got: list[bytes] = []
    with pytest.raises(ketch.ClientPayloadError, match="cut short"):
        async for chunk in s.iter_any():
            got.append(chunk)
            s.set_exception(ketch.ClientPayloadError("cut short"))
    assert got == [b"first"]
