"""StreamReader: the read methods, chunk boundaries and backpressure, fed directly.

The stream is fed the way the connection's receiver feeds it (synchronous pushes);
``pause``/``resume`` are plain recorders standing in for the transport's
``pause_reading``/``resume_reading`` (the end-to-end backpressure test against a real
server is in test_response.py).
"""

from __future__ import annotations

import asyncio

import pytest

from ketch import ClientPayloadError, StreamReader


class Flow:
    """Records pause/resume calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def make(limit: int = 2**16, flow: Flow | None = None) -> StreamReader:
    loop = asyncio.get_running_loop()
    if flow is None:
        return StreamReader(loop, limit)
    return StreamReader(loop, limit, pause=flow.pause, resume=flow.resume)


def feed_later(stream: StreamReader, *pieces: bytes, eof: bool = True) -> None:
    """Feed *pieces* one per loop iteration, so readers really wait."""
    loop = asyncio.get_running_loop()

    async def run() -> None:
        for piece in pieces:
            await asyncio.sleep(0)
            stream.feed_data(piece)
        if eof:
            await asyncio.sleep(0)
            stream.feed_eof()

    task = loop.create_task(run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


tasks: set[asyncio.Task[None]] = set()


async def test_read_all_joins_pieces_once_at_eof() -> None:
    s = make()
    feed_later(s, b"ab", b"cd", b"ef")
    assert await s.read() == b"abcdef"
    assert s.at_eof()
    assert await s.read() == b""
    assert s.total_bytes == 6


async def test_read_n_returns_at_most_n_and_spans_pieces() -> None:
    s = make()
    for piece in (b"abc", b"defg", b"h"):
        s.feed_data(piece)
    s.feed_eof()
    assert await s.read(2) == b"ab"
    assert await s.read(4) == b"cdef"
    assert await s.read(10) == b"gh"
    assert await s.read(10) == b""
    assert await s.read(0) == b""


async def test_readany_hands_on_the_piece_as_fed() -> None:
    s = make()
    piece = b"x" * 1000
    s.feed_data(piece)
    got = await s.readany()
    assert got is piece  # no copy
    feed_later(s, b"more")
    assert await s.readany() == b"more"
    assert await s.readany() == b""


async def test_readexactly_and_incomplete_read() -> None:
    s = make()
    feed_later(s, b"12", b"345", b"6")
    assert await s.readexactly(4) == b"1234"
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await s.readexactly(5)
    assert info.value.partial == b"56"
    assert info.value.expected == 5


async def test_readline_across_pieces_and_last_line_without_newline() -> None:
    s = make()
    feed_later(s, b"first li", b"ne\nsec", b"ond\n", b"tail")
    assert await s.readline() == b"first line\n"
    assert await s.readline() == b"second\n"
    assert await s.readline() == b"tail"
    assert await s.readline() == b""


async def test_readuntil_finds_a_separator_split_between_pieces() -> None:
    s = make()
    for piece in (b"abc\r", b"\ndef\r", b"\n"):
        s.feed_data(piece)
    s.feed_eof()
    assert await s.readuntil(b"\r\n") == b"abc\r\n"
    assert await s.readuntil(b"\r\n") == b"def\r\n"


async def test_readline_longer_than_the_limit_is_an_error() -> None:
    s = make(limit=16)
    s.feed_data(b"x" * 40)
    with pytest.raises(ValueError, match="line longer than 32 bytes"):
        await s.readline()
    s2 = make()
    s2.feed_data(b"y" * 10 + b"\n")
    with pytest.raises(ValueError, match="longer than 5"):
        await s2.readline(max_line_length=5)
    with pytest.raises(ValueError, match="at least one-byte"):
        await s2.readuntil(b"")


async def test_async_for_yields_lines() -> None:
    s = make()
    feed_later(s, b"a\nb", b"\nc\n")
    assert [line async for line in s] == [b"a\n", b"b\n", b"c\n"]


async def test_iter_chunked_yields_pieces_of_at_most_n() -> None:
    s = make()
    feed_later(s, b"x" * 5, b"y" * 7)
    got = [c async for c in s.iter_chunked(4)]
    assert b"".join(got) == b"x" * 5 + b"y" * 7
    assert all(0 < len(c) <= 4 for c in got)


async def test_iter_any_yields_everything() -> None:
    s = make()
    feed_later(s, b"1", b"22", b"333")
    assert b"".join([c async for c in s.iter_any()]) == b"122333"


async def test_readchunk_reports_http_chunk_ends() -> None:
    s = make()
    s.feed_data(b"hel")
    s.feed_data(b"lo")
    s.end_http_chunk()
    s.feed_data(b"world")
    s.end_http_chunk()
    s.end_http_chunk()  # no new bytes: no empty chunk
    s.feed_data(b"!")
    s.feed_eof()
    assert await s.readchunk() == (b"hello", True)
    assert await s.readchunk() == (b"world", True)
    assert await s.readchunk() == (b"!", False)
    assert await s.readchunk() == (b"", False)


async def test_iter_chunks_stops_at_the_end() -> None:
    s = make()
    s.feed_data(b"ab")
    s.end_http_chunk()
    s.feed_data(b"c")
    s.end_http_chunk()
    s.feed_eof()
    assert [c async for c in s.iter_chunks()] == [(b"ab", True), (b"c", True)]


async def test_readchunk_without_chunked_framing_is_never_an_end() -> None:
    s = make()
    s.feed_data(b"abc")
    s.feed_eof()
    assert await s.readchunk() == (b"abc", False)
    assert await s.readchunk() == (b"", False)


async def test_an_end_learnt_after_its_bytes_were_read_is_reported_alone() -> None:
    s = make()
    s.feed_data(b"abc")
    assert await s.readchunk() == (b"abc", False)
    s.end_http_chunk()
    assert await s.readchunk() == (b"", True)
    s.feed_eof()
    assert await s.readchunk() == (b"", False)
    s2 = make()
    s2.feed_data(b"xy")
    s2.end_http_chunk()
    s2.feed_eof()
    assert [c async for c in s2.iter_chunks()] == [(b"xy", True)]


async def test_boundaries_passed_by_other_reads_are_dropped() -> None:
    s = make()
    s.feed_data(b"abc")
    s.end_http_chunk()
    s.feed_data(b"def")
    s.end_http_chunk()
    assert await s.read(4) == b"abcd"
    assert await s.readchunk() == (b"ef", True)


async def test_backpressure_pauses_over_high_water_and_resumes_under_low() -> None:
    flow = Flow()
    s = make(limit=100, flow=flow)
    assert s.get_read_buffer_limits() == (100, 200)
    s.feed_data(b"x" * 150)
    assert flow.calls == []
    s.feed_data(b"x" * 60)  # 210 > 200
    assert flow.calls == ["pause"]
    s.feed_data(b"x" * 60)  # already paused: no second call
    assert flow.calls == ["pause"]
    await s.read(90)  # 180 left, not under 100 yet
    assert flow.calls == ["pause"]
    await s.read(90)
    assert flow.calls == ["pause", "resume"]


async def test_read_all_lifts_backpressure() -> None:
    flow = Flow()
    s = make(limit=10, flow=flow)
    s.feed_data(b"x" * 30)
    assert flow.calls == ["pause"]
    reader = asyncio.ensure_future(s.read())
    await asyncio.sleep(0)
    assert flow.calls == ["pause", "resume"]  # read() wants everything: stop holding back
    s.feed_data(b"y" * 100)
    assert flow.calls == ["pause", "resume"]
    s.feed_eof()
    assert await reader == b"x" * 30 + b"y" * 100


async def test_larger_reads_raise_the_buffer_limits() -> None:
    s = make(limit=10)
    s.feed_data(b"z" * 5)
    await s.read(1000)
    assert s.get_read_buffer_limits() == (1000, 2000)


async def test_eof_stops_touching_the_transport() -> None:
    flow = Flow()
    s = make(limit=10, flow=flow)
    s.feed_data(b"x" * 30)
    s.feed_eof()
    await s.read()
    assert flow.calls == ["pause"]  # after EOF the connection may be someone else's


async def test_an_error_beats_buffered_data() -> None:
    s = make()
    s.feed_data(b"partial")
    s.set_exception(ClientPayloadError("Response payload is not completed"))
    for method in (s.read, s.readany, s.readline, s.readchunk):
        with pytest.raises(ClientPayloadError):
            await method()


async def test_a_waiting_reader_gets_the_error() -> None:
    s = make()
    reader = asyncio.ensure_future(s.read(10))
    await asyncio.sleep(0)
    s.set_exception(ClientPayloadError("boom"))
    with pytest.raises(ClientPayloadError, match="boom"):
        await reader


async def test_two_concurrent_readers_are_refused() -> None:
    s = make()
    first = asyncio.ensure_future(s.readany())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        await s.readany()
    s.feed_data(b"x")
    assert await first == b"x"


async def test_read_nowait_wait_eof_and_on_eof() -> None:
    s = make()
    assert s.read_nowait() == b""
    s.feed_data(b"abc")
    s.feed_data(b"def")
    assert s.read_nowait(2) == b"ab"
    seen: list[str] = []
    s.on_eof(lambda: seen.append("eof"))
    waiter = asyncio.ensure_future(s.wait_eof())
    await asyncio.sleep(0)
    assert not waiter.done()
    s.feed_eof()
    await waiter
    assert seen == ["eof"]
    assert s.is_eof() and not s.at_eof()
    assert s.read_nowait() == b"cdef"
    assert s.at_eof()
    s.on_eof(lambda: seen.append("late"))
    assert seen == ["eof", "late"]


async def test_the_shared_empty_stream_stays_empty_and_unbroken() -> None:
    from ketch._streams import EMPTY_STREAM

    EMPTY_STREAM.set_exception(ClientPayloadError("released"))
    EMPTY_STREAM.set_read_chunk_size(10**6)
    assert EMPTY_STREAM.exception() is None
    assert await EMPTY_STREAM.read() == b""
    assert await EMPTY_STREAM.readany() == b""
    assert await EMPTY_STREAM.readchunk() == (b"", False)
    assert EMPTY_STREAM.at_eof()
    with pytest.raises(RuntimeError):
        EMPTY_STREAM.feed_data(b"x")


# -- property: however the body is cut and however it is read, the bytes come out whole --

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

READS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(1, 50)),
        st.tuples(st.just("readany"), st.just(0)),
        st.tuples(st.just("readline"), st.just(0)),
        st.tuples(st.just("readchunk"), st.just(0)),
        st.tuples(st.just("readexactly"), st.integers(1, 20)),
    ),
    min_size=1, max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    chunks=st.lists(st.binary(min_size=1, max_size=40), min_size=0, max_size=12),
    cuts=st.lists(st.integers(1, 30), min_size=1, max_size=10),
    reads=READS,
)
def test_any_cut_and_any_reads_give_the_body_back(
    chunks: list[bytes], cuts: list[int], reads: list[tuple[str, int]]
) -> None:
    body = b"".join(chunks)

    async def run() -> None:
        s = StreamReader(asyncio.get_running_loop(), 16)
        ends = []
        pos = 0
        for chunk in chunks:
            pos += len(chunk)
            ends.append(pos)

        async def produce() -> None:
            # Feed each HTTP chunk cut into pieces, marking where each chunk ends.
            i = 0
            for chunk in chunks:
                off = 0
                while off < len(chunk):
                    n = cuts[i % len(cuts)]
                    i += 1
                    s.feed_data(chunk[off : off + n])
                    off += n
                    await asyncio.sleep(0)
                s.end_http_chunk()
            s.feed_eof()

        producer = asyncio.ensure_future(produce())
        got: list[bytes] = []
        reported_ends: list[int] = []
        total = 0
        for op, n in reads * 200:  # bounded: stops at the end of the body
            if s.at_eof():
                break
            if op == "read":
                data = await s.read(n)
                assert len(data) <= n
            elif op == "readany":
                data = await s.readany()
            elif op == "readline":
                data = await s.readline(max_line_length=10**6)
                assert data.endswith(b"\n") or total + len(data) == len(body)
                assert b"\n" not in data[:-1]
            elif op == "readchunk":
                data, end = await s.readchunk()
                if end:
                    reported_ends.append(total + len(data))
                else:
                    assert data or s.at_eof()
            else:
                try:
                    data = await s.readexactly(n)
                    assert len(data) == n
                except asyncio.IncompleteReadError as exc:
                    data = exc.partial
                    assert total + len(data) == len(body)
            got.append(data)
            total += len(data)
        got.append(await s.read())
        await producer
        assert b"".join(got) == body
        assert set(reported_ends) <= set(ends)  # only real chunk ends are reported
        if all(op == "readchunk" for op, _ in reads):
            assert reported_ends == ends  # and, read chunk by chunk, every one of them

    asyncio.run(run())
