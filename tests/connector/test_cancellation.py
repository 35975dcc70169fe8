"""Acceptance: 1,000 requests cancelled at random points leak no slot and no socket."""

from __future__ import annotations

import asyncio
import random

import ketch_http1 as h1
from ketch_connector import ConnectionKey, TCPConnector

from .helpers import CountingServer

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


async def slow_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    rng = random.Random(id(writer))
    while True:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return
        await asyncio.sleep(rng.random() * 0.004)
        if rng.random() < 0.5:
            writer.write(RESPONSE)
        else:  # split the response, so cancellation can land mid-body
            writer.write(RESPONSE[:-3])
            await writer.drain()
            await asyncio.sleep(0.001)
            writer.write(RESPONSE[-3:])
        await writer.drain()


async def one_request(connector: TCPConnector, key: ConnectionKey) -> bytes:
    conn = await connector.connect(key, timeout=5)
    try:
        conn.write(h1.serialize_head("GET", "/", [("Host", key.host)]))
        parser = h1.ResponseParser()
        parser.start_response("GET")
        body = b""
        while True:
            data = await conn.read()
            for event in parser.feed(data) if data else parser.feed_eof():
                if isinstance(event, h1.Data):
                    body += event.data
                elif isinstance(event, h1.EndOfMessage):
                    if parser.is_reusable:
                        conn.release()
                    else:
                        conn.close()
                    return body
    except BaseException:
        conn.close()  # a connection that saw a cancellation is never pooled
        raise


async def test_random_cancellations_leak_nothing() -> None:
    rng = random.Random(20240611)
    async with CountingServer(slow_http) as server:
        connector = TCPConnector(limit=16, limit_per_host=6)
        keys = [ConnectionKey("127.0.0.1", server.port, server_hostname=f"h{i}") for i in range(4)]
        cancelled = completed = 0
        for batch in range(20):
            tasks = [
                asyncio.create_task(one_request(connector, rng.choice(keys))) for _ in range(50)
            ]
            cancel_after = [rng.random() * 0.01 if rng.random() < 0.7 else None for _ in tasks]
            loop = asyncio.get_running_loop()
            for task, delay in zip(tasks, cancel_after):
                if delay is not None:
                    loop.call_later(delay, task.cancel)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for r in results:
                if isinstance(r, asyncio.CancelledError):
                    cancelled += 1
                else:
                    assert r == b"hello", r
                    completed += 1
            # Invariants after every batch: every slot is an idle pooled connection.
            idle = len(connector._idle_lru)
            assert connector._open == idle, (connector._open, idle)
            assert sum(connector._open_per_key.values()) == idle
            assert not connector._waiters
            assert idle <= 16
        assert cancelled > 300 and completed > 300
        # Server side: only the pooled connections are still open.
        await server.wait_open(len(connector._idle_lru))
        # Client side: no transport beyond the pooled ones.
        for _ in range(100):
            if len(connector._all) == len(connector._idle_lru):
                break
            await asyncio.sleep(0.01)
        assert set(connector._all) == set(connector._idle_lru)
        await connector.close()
        await server.wait_open(0)
