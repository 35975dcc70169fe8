"""Request-side faults against loopback servers: early answers during an upload, bodies
that disagree with their Content-Length, and the total timeout while waiting for the head.

Each case checks what the user gets (aiohttp's behaviour) and what the pool keeps: a
connection whose request was not fully written is never pooled.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

import ketch
from tests.client._early import (
    EarlyAnswerServer,
    assert_answered_early,
    pool_state,
    small_buffers,
)
from tests.servers import HTTPServer, Reply, Request


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


class Recorder:
    """A raw loopback server that records every byte of each connection until the client
    closes it, answering 200 (Content-Length: 0) to each request head if *answer*."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self.closed = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Recorder:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        try:
            while piece := await reader.read(65536):
                data += piece
                if self.answer and data.count(b"\r\n\r\n") == 1 and b"\r\n\r\n" in piece:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except ConnectionError:
            pass
        self.received.append(data)
        writer.close()
        self.closed.set()


async def test_content_length_disagreeing_with_the_body_is_refused_before_sending() -> None:
    async with Recorder() as server, ketch.ClientSession() as s:
        with pytest.raises(ValueError, match=r"'10'.*\b3 bytes"):
            await s.post(server.url, data=b"abc", headers={"Content-Length": "10"})
        with pytest.raises(ValueError, match=r"'-1'"):
            await s.post(server.url, data=b"abc", headers={"Content-Length": "-1"})
        assert pool_state(s) == (0, 0)
    assert server.received == []


async def test_streamed_body_never_writes_past_its_content_length() -> None:
    """The second chunk would overrun Content-Length: 5 and reach the server as a second
    request; it is refused before it is written and the connection closed."""
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"

    async def body() -> AsyncIterator[bytes]:
        yield b"12345"
        yield smuggled

    async with Recorder() as server, ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientPayloadError, match=r"longer than its Content-Length \(5"):
            await s.post(server.url, data=body(), headers={"Content-Length": "5"})
        assert pool_state(s) == (0, 0)
        await asyncio.wait_for(server.closed.wait(), 5)
    assert len(server.received) == 1
    assert server.received[0].endswith(b"\r\n\r\n12345")
    assert b"smuggled" not in server.received[0]


async def test_short_streamed_body_fails_at_once_and_closes() -> None:
    """Three bytes for Content-Length: 10: the server would wait for the rest forever;
    the client raises at the end of the body (well before the total timeout)."""

    async def body() -> AsyncIterator[bytes]:
        yield b"abc"

    async with Recorder(answer=False) as server, ketch.ClientSession() as s:
        with pytest.raises(ketch.ClientPayloadError, match=r"3 bytes .* Content-Length is 10"):
            await s.post(server.url, data=body(), headers={"Content-Length": "10"},
                         timeout=ketch.ClientTimeout(total=5))
        assert pool_state(s) == (0, 0)
        await asyncio.wait_for(server.closed.wait(), 5)
    assert server.received[0].endswith(b"\r\n\r\nabc")


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_total_timeout_waiting_for_the_head_is_a_timeout_sent_once(method: str) -> None:
    """The server reads the request and never answers: the total timeout raises
    asyncio.TimeoutError (not ClientOSError), and a GET is not re-sent as if its
    connection had been stale."""
    async with Recorder(answer=False) as server, ketch.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError) as info:
            await s.request(method, server.url, data=b"x" if method == "POST" else None,
                            timeout=ketch.ClientTimeout(total=0.5))
        assert not isinstance(info.value, ketch.ClientOSError)
        # Raised while waiting for the answer, not by a second attempt that found the
        # time already spent ("expired before connecting").
        assert "before the response was received" in str(info.value)
        assert pool_state(s) == (0, 0)
        await asyncio.wait_for(server.closed.wait(), 5)
    assert len(server.received) == 1
    assert server.received[0].count(f"{method} / HTTP/1.1".encode()) == 1


@pytest.mark.parametrize("streamed", [False, True])
async def test_answer_during_the_last_trace_callback_keeps_the_connection_pooled(
    streamed: bool,
) -> None:
    """The whole request is on the wire when on_request_chunk_sent runs; a response that
    completes while that callback still waits must not cost the connection."""
    answered = asyncio.Event()

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        answered.set()  # the server writes the answer right after this returns
        return Reply(body=b"ok")

    async def slow_chunk_sent(session: object, ctx: object, params: object) -> None:
        if not answered.is_set():
            await asyncio.wait_for(answered.wait(), 5)
            await asyncio.sleep(0.05)  # let the answer arrive while we are still here

    async def body() -> AsyncIterator[bytes]:
        yield b"hello"

    tc = ketch.TraceConfig()
    tc.on_request_chunk_sent.append(slow_chunk_sent)
    async with HTTPServer(handler) as server, ketch.ClientSession(trace_configs=[tc]) as s:
        # Streamed with a Content-Length: the last chunk completes the request.
        headers = {"Content-Length": "5"} if streamed else None
        async with s.post(server.url + "/", data=body() if streamed else b"hello",
                          headers=headers) as resp:
            assert await resp.read() == b"ok"
        assert pool_state(s) == (1, 1)
    assert server.connections == 1


async def test_early_answer_from_a_server_that_stops_reading_the_upload_is_returned() -> None:
    """The server answers 413 after the head, then reads nothing more and keeps the
    connection open: the user gets the 413 at once (the body goes out beside waiting
    for the answer), not after the timeout; leaving the response stops the upload and
    closes the half-written connection."""
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nnope")
        await writer.drain()
        await done.wait()  # neither reads nor closes until the client has given up
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    body = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers take
    try:
        async with ketch.ClientSession(timeout=ketch.ClientTimeout(total=30)) as s:
            async with s.put(f"http://127.0.0.1:{port}/up", data=body) as resp:
                assert resp.status == 413
                assert await resp.read() == b"nope"
                assert not resp._writer.done()  # type: ignore[union-attr]  # still sending
            assert pool_state(s) == (0, 0)
    finally:
        done.set()
        server.close()
        await server.wait_closed()


async def test_wait_for_close_waits_for_the_rest_of_an_upload_answered_early() -> None:
    got = asyncio.get_running_loop().create_future()
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
        await writer.drain()
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        received = 0
        while received < length:
            await asyncio.sleep(0.001)  # a slow reader: the client is still sending
            received += len(await reader.read(1 << 20))
        got.set_result(received)
        await done.wait()  # the connection stays open until the client checked its pool
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    body = b"y" * (16 * 1024 * 1024)
    try:
        async with ketch.ClientSession() as s:
            resp = await s.post(f"http://127.0.0.1:{port}/up", data=body)
            assert resp.status == 200 and await resp.read() == b"early"
            await resp.wait_for_close()
            assert await asyncio.wait_for(got, 10) == len(body)
            assert pool_state(s) == (1, 1)  # the whole request went out: reusable
    finally:
        done.set()
        server.close()
        await server.wait_closed()


ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"
HALF = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf."
TOO_LARGE = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nnope"


@asynccontextmanager
async def early_answer_server(answer: bytes, read_all: bool = False,
                              got: list[int] | None = None) -> AsyncIterator[str]:
    """A server that answers *answer* right after the request head, then reads the whole
    body (slowly, counting it in *got*) if *read_all*, else nothing, and keeps each
    connection open until the block ends; yields the URL."""
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        if read_all:
            total = 0
            try:
                while piece := await reader.read(1 << 20):
                    total += len(piece)
                    if got is not None:
                        got[:] = [total]
                    await asyncio.sleep(0.001)
            except ConnectionError:
                pass
        await done.wait()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/up"
    finally:
        done.set()
        server.close()
        await server.wait_closed()


async def test_a_file_answered_early_is_sent_whole_and_closed_after(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * (24 * 1024)  # 6 MiB
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    got = [0]
    async with early_answer_server(ACCEPTED, True, got) as url, ketch.ClientSession() as s:
        with path.open("rb") as f:
            resp = await s.post(url, data=f, headers={"Content-Length": str(len(data))})
            assert resp.status == 202 and await resp.read() == b"ok"
            await resp.wait_for_close()  # the file is read to its end, not closed early
            for _ in range(100):
                if got[0] == len(data) and f.closed:
                    break
                await asyncio.sleep(0.01)
            assert got[0] == len(data)
            assert f.closed  # the session closes what it was given, once it is sent


async def test_a_body_that_fails_after_an_early_answer_fails_that_answer() -> None:
    """The server sends a head and part of its body, then waits for the request body;
    the body's generator raises: reading the answer says why at once."""

    async def body() -> AsyncIterator[bytes]:
        yield b"a" * 1024
        await asyncio.sleep(0.05)
        raise RuntimeError("the upload source broke")

    async with early_answer_server(HALF) as url, \
            ketch.ClientSession(timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(url, data=body()) as resp:
            assert resp.status == 200
            with pytest.raises(ketch.ClientPayloadError) as info:
                await resp.read()
            assert isinstance(info.value.__cause__, RuntimeError)
        assert pool_state(s) == (0, 0)


async def test_a_response_dropped_while_its_upload_runs_frees_the_connection() -> None:
    async with early_answer_server(TOO_LARGE) as url, ketch.ClientSession() as s:
        resp = await s.put(url, data=b"x" * (32 * 1024 * 1024))
        assert resp.status == 413 and await resp.read() == b"nope"
        writer = resp._writer
        assert writer is not None and not writer.done()
        del resp
        gc.collect()
        await asyncio.sleep(0)
        assert writer.cancelled() or writer.done()
        assert pool_state(s) == (0, 0)


async def test_the_total_timeout_bounds_an_upload_that_goes_on_after_the_answer() -> None:
    async with early_answer_server(TOO_LARGE) as url, \
            ketch.ClientSession(timeout=ketch.ClientTimeout(total=0.5)) as s:
        resp = await s.put(url, data=b"x" * (32 * 1024 * 1024))
        assert await resp.read() == b"nope"
        await resp.wait_for_close()  # the server never reads: the deadline ends it
        assert resp._writer is None
        assert pool_state(s) == (0, 0)


async def test_cancelling_a_request_whose_body_is_still_going_out_frees_everything() -> None:
    errors: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx))
    async with early_answer_server(b"") as url:  # reads nothing, says nothing
        async with ketch.ClientSession() as s:
            task = asyncio.ensure_future(s.put(url, data=b"x" * (32 * 1024 * 1024)))
            for _ in range(100):  # until the body is being written beside the wait
                await asyncio.sleep(0.01)
                if pool_state(s)[0] == 1:
                    break
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert pool_state(s) == (0, 0)
        gc.collect()
        await asyncio.sleep(0)
        assert errors == []  # no task or future left failing unseen


async def test_an_answer_that_ends_while_trace_callbacks_run_never_pools_a_half_sent_body() -> None:
    """The body is handed to the transport, then the request's trace callbacks run; a
    413 that completes meanwhile must not pool the connection while part of the body is
    still unsent (the writer for the rest starts only after the callbacks)."""
    async def slow_chunk_sent(session: object, ctx: object, params: object) -> None:
        await asyncio.sleep(0.2)  # the 413 arrives and completes meanwhile

    trace = ketch.TraceConfig()
    trace.on_request_chunk_sent.append(slow_chunk_sent)
    async with EarlyAnswerServer() as server, ketch.ClientSession(
            connector=small_buffers(), trace_configs=[trace],
            timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(server.url, data=b"v" * (4 << 20)) as resp:
            assert resp.status == 413 and await resp.read() == b"nope"
        assert pool_state(s) == (0, 0)


async def test_a_final_answer_after_100_continue_is_returned_while_the_body_goes_out() -> None:
    """expect100=True: the server says 100 Continue, then 413, and reads no more. The
    413 is returned at once (the body goes out beside waiting for it, bounded by the
    total timeout) and the half-sent connection is closed."""
    async with EarlyAnswerServer(before=b"HTTP/1.1 100 Continue\r\n\r\n") as server, \
            ketch.ClientSession(connector=small_buffers(),
                                timeout=ketch.ClientTimeout(total=30)) as s:
        async with s.post(server.url, data=b"e" * (4 << 20), expect100=True) as resp:
            await assert_answered_early(resp)
        assert pool_state(s) == (0, 0)
