"""Response parser benchmark: ketch_http1 against h11 and aiohttp's parsers.

Run with ``hatch run bench:python tools/bench/bench_parser.py``. Each case parses a
whole response (head and body, fed as it would arrive) with a fresh parser, the way
a client meets a response on a pooled connection. Implementations are interleaved
and timed over several rounds; the table shows the median time per response and
ketch's speed relative to each other parser (above 1.0x: ketch is faster).

aiohttp's parsers are built as its client builds them (``ResponseHandler.
set_response_params``), with a minimal protocol and loop stub: they need both, which
is exactly why ketch_http1 is sans-IO.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable

import h11

import ketch_http1

try:
    from aiohttp import http_parser as aio_parser
    from aiohttp.client_exceptions import ClientPayloadError
except ImportError:  # pragma: no cover - the bench env has aiohttp
    aio_parser = None  # type: ignore[assignment]

ROUNDS = 7
TARGET_SECONDS = 0.08  # per implementation, case and round


def _headers(n: int) -> bytes:
    base = [
        b"Date: Wed, 25 Nov 2026 14:00:00 GMT",
        b"Server: nginx/1.25.3",
        b"Content-Type: application/json; charset=utf-8",
        b"Cache-Control: private, max-age=0, no-cache",
        b"Vary: Accept-Encoding",
        b"X-Request-Id: 6f1c3b2a-9d84-4e1f-a2c7-5b0e8d9f1a23",
        b"Strict-Transport-Security: max-age=31536000; includeSubDomains",
        b"X-Content-Type-Options: nosniff",
        b"Set-Cookie: session=abc123def456; Path=/; HttpOnly; Secure",
    ]
    out = base[:n]
    i = 0
    while len(out) < n:
        out.append(b"X-Custom-Header-%d: value-%d-some-more-text-here" % (i, i))
        i += 1
    return b"\r\n".join(out) + b"\r\n"


def _small() -> list[bytes]:
    body = b'{"id": 12345, "name": "ketch", "ok": true, "items": [1, 2, 3]}'
    head = b"HTTP/1.1 200 OK\r\n" + _headers(9) + b"Content-Length: %d\r\n\r\n" % len(body)
    return [head + body]


def _chunked() -> list[bytes]:
    body = b"".join(b"%x\r\n%s\r\n" % (40, b"c" * 40) for _ in range(10)) + b"0\r\n\r\n"
    return [b"HTTP/1.1 200 OK\r\n" + _headers(8) + b"Transfer-Encoding: chunked\r\n\r\n" + body]


def _big() -> list[bytes]:
    size = 1 << 20
    head = b"HTTP/1.1 200 OK\r\n" + _headers(8) + b"Content-Length: %d\r\n\r\n" % size
    # As it arrives from a socket: the head, then 64 KiB reads.
    piece = b"b" * 65536
    return [head] + [piece] * (size // 65536)


def _many_headers() -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\n" + _headers(30) + b"Content-Length: 2\r\n\r\nok"]


CASES = {
    "small (460 B, 10 hdrs)": _small(),
    "chunked (10 chunks)": _chunked(),
    "1 MiB body": _big(),
    "30 headers": _many_headers(),
}


def run_ketch(pieces: list[bytes]) -> int:
    parser = ketch_http1.ResponseParser()
    # Decompression on, as aiohttp's parsers below (auto_decompress=True) and ketch's client.
    parser.start_response("GET", decompress=True)
    n = 0
    for piece in pieces:
        for ev in parser.feed(piece):
            if type(ev) is ketch_http1.Data:
                n += len(ev.data)
    return n


def run_h11(pieces: list[bytes]) -> int:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.com")]))
    conn.send(h11.EndOfMessage())
    n = 0
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA or ev is h11.PAUSED:
                break
            if type(ev) is h11.Data:
                n += len(ev.data)
            elif type(ev) is h11.EndOfMessage:
                break
    return n


class _Loop:
    """The parts of an event loop aiohttp's parser touches while parsing."""

    def create_future(self) -> asyncio.Future[None]:
        raise AssertionError("not reached: the benchmark never waits")

    def get_debug(self) -> bool:
        return False


class _Protocol:
    """The parts of aiohttp's ResponseHandler its parser touches."""

    _reading_paused = False

    def pause_reading(self, *args: object, **kwargs: object) -> None:
        pass

    def resume_reading(self, *args: object, **kwargs: object) -> None:
        pass


def _make_aiohttp_runner(cls: type) -> Callable[[list[bytes]], int]:
    loop = _Loop()
    protocol = _Protocol()

    def run(pieces: list[bytes]) -> int:
        parser = cls(
            protocol, loop, 2**16, timer=None, payload_exception=ClientPayloadError,
            response_with_body=True, read_until_eof=False, auto_decompress=True,
            max_line_size=8190, max_field_size=8190, max_headers=128,
        )
        n = 0
        payload = None
        for piece in pieces:
            messages, _upgraded, _tail = parser.feed_data(piece)
            for _msg, stream in messages:
                payload = stream
        if payload is not None:
            # What the body stream collected (the payload parsers push into it).
            n = sum(len(b) for b in payload._buffer)
        return n

    return run


def implementations() -> dict[str, Callable[[list[bytes]], int]]:
    impls: dict[str, Callable[[list[bytes]], int]] = {"ketch": run_ketch, "h11": run_h11}
    if aio_parser is not None:
        impls["aiohttp-py"] = _make_aiohttp_runner(aio_parser.HttpResponseParserPy)
        c_parser = getattr(aio_parser, "HttpResponseParserC", None)
        if c_parser is not None:
            impls["aiohttp-C"] = _make_aiohttp_runner(c_parser)
    return impls


def _time(fn: Callable[[list[bytes]], int], pieces: list[bytes], number: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn(pieces)
        return (time.perf_counter() - start) / number
    finally:
        gc.enable()


def main() -> int:
    impls = implementations()
    expected = {name: run_ketch(pieces) for name, pieces in CASES.items()}
    for impl, fn in impls.items():
        for case, pieces in CASES.items():
            got = fn(pieces)
            if got != expected[case]:
                raise SystemExit(f"{impl} parsed {got} body bytes for {case}, not {expected[case]}")
    numbers = {}
    for case, pieces in CASES.items():
        for impl, fn in impls.items():
            t = _time(fn, pieces, 3)
            numbers[(impl, case)] = max(1, int(TARGET_SECONDS / max(t, 1e-7)))
    samples: dict[tuple[str, str], list[float]] = {k: [] for k in numbers}
    for _ in range(ROUNDS):
        for case, pieces in CASES.items():
            for impl, fn in impls.items():  # interleaved: noise hits all alike
                samples[(impl, case)].append(_time(fn, pieces, numbers[(impl, case)]))
    names = list(impls)
    print(f"Python {sys.version.split()[0]}; median of {ROUNDS} rounds, microseconds per response")
    header = f"{'case':24}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{'vs ' + n:>15}" for n in names[1:])
    print(header)
    for case in CASES:
        med = {n: statistics.median(samples[(n, case)]) * 1e6 for n in names}
        row = f"{case:24}" + "".join(f"{med[n]:12.2f}" for n in names)
        row += "".join(f"{med[n] / med['ketch']:14.2f}x" for n in names[1:])
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
