"""1,000 ``session.get`` tasks cancelled at seeded random points (queued for a slot,
connecting, inside trace callbacks, waiting for the head, reading the body) against a
loopback server, with a small pool: afterwards every slot is accounted for (open ==
idle) and the only sockets left, on either side, are the pooled ones."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

import ketch
import ketch_tracing
from tests.servers import HTTPServer, Reply, Request

TASKS = 1000
LIMIT = 4


def yielding_trace_config(rng: random.Random) -> ketch.TraceConfig:
    """Every signal's callback gives the loop a turn (or two), so cancellations land
    inside the callbacks too."""
    tc = ketch.TraceConfig()

    async def cb(session: Any, ctx: Any, params: Any) -> None:
        for _ in range(rng.randrange(3)):
            await asyncio.sleep(0)

    for spec in ketch_tracing.SIGNALS:
        getattr(tc, spec.name).append(cb)
    return tc


async def settle(check: Any, what: str) -> None:
    """Give closing transports their loop turns (bounded), then assert *check*."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    assert check(), what


@pytest.mark.parametrize("traced", [False, True])
async def test_cancelling_many_requests_leaks_no_slot_and_no_socket(traced: bool) -> None:
    rng = random.Random(20261125 + traced)

    async def handler(req: Request, writer: asyncio.StreamWriter) -> Reply:
        for _ in range(rng.randrange(3)):  # answers arrive after a varying number of turns
            await asyncio.sleep(0)
        body = b"x" * rng.choice((0, 10, 70000))  # large ones span several reads
        return Reply(body=body, chunked=rng.random() < 0.3)

    async def one(s: ketch.ClientSession, url: str) -> bytes:
        async with s.get(url) as resp:
            return await resp.read()

    async with HTTPServer(handler) as server:
        configs = [yielding_trace_config(rng)] if traced else []
        connector = ketch.TCPConnector(limit=LIMIT)
        async with ketch.ClientSession(connector=connector, trace_configs=configs) as s:
            tasks = [asyncio.create_task(one(s, server.url + f"/{i}")) for i in range(TASKS)]
            # A task is cancelled after a random number of loop turns, or left to finish.
            when = {t: rng.randrange(400) for t in tasks if rng.random() < 0.7}
            for turn in range(400):
                for t, at in when.items():
                    if at == turn:
                        t.cancel()
                await asyncio.sleep(0)
            results = await asyncio.wait_for(
                asyncio.gather(*tasks, return_exceptions=True), 60)
            cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
            done = [r for r in results if isinstance(r, bytes)]
            assert cancelled > 100 and len(done) > 100  # both kinds really happened
            assert all(isinstance(r, (bytes, asyncio.CancelledError)) for r in results)

            pool: Any = connector
            await settle(lambda: pool._open == len(pool._idle_lru), "a slot leaked")
            await settle(lambda: len(pool._all) == len(pool._idle_lru),
                         "a connection is open outside the pool")
            await settle(lambda: len(server._writers) == len(pool._idle_lru),
                         "the server still holds a connection the client dropped")
            assert len(pool._idle_lru) <= LIMIT
            # The pool still serves: LIMIT requests at once get every slot.
            again = await asyncio.gather(*(one(s, server.url + "/again") for _ in range(LIMIT)))
            assert all(isinstance(b, bytes) for b in again)
