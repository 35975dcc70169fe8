"""Helpers shared by the ketch_http1 tests (imports only ketch_http1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ketch_http1 as h1


def drive(
    chunks: Iterable[bytes], methods: Sequence[str] = ("GET",), *, decompress: bool = False,
    eof: bool = False, limits: h1.Limits | None = None,
) -> tuple[list[h1.Event], h1.ResponseParser]:
    """Feed *chunks* to a fresh parser (pumping held-back output); return events and parser."""
    parser = h1.ResponseParser(limits)
    for m in methods:
        parser.start_response(m, decompress=decompress)
    events: list[h1.Event] = []
    for chunk in chunks:
        events += parser.feed(chunk)
        for _ in range(100_000):
            if not parser.output_pending:
                break
            events += parser.feed(b"")
    if eof:
        events += parser.feed_eof()
        for _ in range(100_000):
            if not parser.output_pending:
                break
            events += parser.feed_eof()
    return events, parser


def summarize(events: Iterable[h1.Event]) -> list[tuple[Any, ...]]:
    """Events in a form independent of how the bytes were split: consecutive Data
    pieces are joined up to each end of an HTTP chunk."""
    out: list[tuple[Any, ...]] = []
    open_data = False
    for ev in events:
        if isinstance(ev, h1.Data):
            if open_data:
                out[-1] = ("data", out[-1][1] + ev.data)
            else:
                out.append(("data", ev.data))
            open_data = not ev.end_of_chunk
            if ev.end_of_chunk:
                out.append(("chunk-end",))
            continue
        open_data = False
        if isinstance(ev, h1.InformationalResponse):
            out.append(("info", ev.status, ev.reason, ev.raw_headers, ev.version))
        elif isinstance(ev, h1.Response):
            out.append(("resp", ev.status, ev.reason, ev.raw_headers, ev.version, ev.keep_alive,
                        ev.chunked, ev.content_length))
        else:
            out.append(("end", ev.raw_trailers, ev.keep_alive))
    return out


def splits(data: bytes) -> Iterable[list[bytes]]:
    """The whole, every split in two, and byte by byte."""
    yield [data]
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]
    yield [data[i:i + 1] for i in range(len(data))]


def outcome(chunks: Iterable[bytes], methods: Sequence[str] = ("GET",), **kw: Any) -> Any:
    """The summary of the events, or the error (type and, for limits, which one)."""
    try:
        events, _ = drive(chunks, methods, **kw)
    except h1.LimitExceeded as exc:
        return ("error", "LimitExceeded", exc.limit)
    except h1.HTTP1Error as exc:
        return ("error", type(exc).__name__)
    return summarize(events)
