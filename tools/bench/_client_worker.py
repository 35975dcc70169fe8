"""One benchmark client process: runs every scenario with one client and prints JSON.

Invoked by bench_client.py as ``python _client_worker.py CLIENT BASE_URL PARAMS_JSON``.
CLIENT is ketch, aiohttp (aiohttp-py is aiohttp with AIOHTTP_NO_EXTENSIONS=1 set by the
driver), or httpx. Each scenario stops at its request count or its time budget, whichever
comes first, and reports wall time, this process's CPU time and the work done.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

CLIENT, BASE, PARAMS = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
BUDGET = float(PARAMS["budget"])
UPLOAD = b"u" * (1 << 20)


class Adapter:
    """The same five operations over each client library."""

    async def open(self, limit: int) -> None: ...
    async def close(self) -> None: ...
    async def get(self, path: str) -> bytes: ...
    async def get_json(self, path: str) -> Any: ...
    async def post(self, path: str, body: bytes) -> bytes: ...
    async def stream(self, path: str) -> int: ...


class AioLike(Adapter):
    """ketch and aiohttp share the documented API: the point of ketch."""

    def __init__(self, mod: Any) -> None:
        self.mod = mod

    async def open(self, limit: int) -> None:
        self.s = self.mod.ClientSession(connector=self.mod.TCPConnector(limit=limit))

    async def close(self) -> None:
        await self.s.close()

    async def get(self, path: str) -> bytes:
        async with self.s.get(BASE + path) as r:
            return await r.read()  # type: ignore[no-any-return]

    async def get_json(self, path: str) -> Any:
        async with self.s.get(BASE + path) as r:
            return await r.json()

    async def post(self, path: str, body: bytes) -> bytes:
        async with self.s.post(BASE + path, data=body) as r:
            return await r.read()  # type: ignore[no-any-return]

    async def stream(self, path: str) -> int:
        n = 0
        async with self.s.get(BASE + path) as r:
            async for chunk in r.content.iter_any():
                n += len(chunk)
        return n


class Httpx(Adapter):
    async def open(self, limit: int) -> None:
        import httpx

        self.c = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        )

    async def close(self) -> None:
        await self.c.aclose()

    async def get(self, path: str) -> bytes:
        return (await self.c.get(BASE + path)).content

    async def get_json(self, path: str) -> Any:
        return (await self.c.get(BASE + path)).json()

    async def post(self, path: str, body: bytes) -> bytes:
        return (await self.c.post(BASE + path, content=body)).content

    async def stream(self, path: str) -> int:
        n = 0
        async with self.c.stream("GET", BASE + path) as r:
            async for chunk in r.aiter_raw():
                n += len(chunk)
        return n


def make_adapter() -> Adapter:
    if CLIENT == "ketch":
        import ketch

        return AioLike(ketch)
    if CLIENT in ("aiohttp", "aiohttp-py"):
        import aiohttp

        return AioLike(aiohttp)
    if CLIENT == "httpx":
        return Httpx()
    raise SystemExit(f"unknown client {CLIENT}")


async def timed(count: int, op: Callable[[], Awaitable[Any]]) -> tuple[int, float, float]:
    deadline = time.perf_counter() + BUDGET
    c0, t0 = time.process_time(), time.perf_counter()
    done = 0
    while done < count and time.perf_counter() < deadline:
        await op()
        done += 1
    return done, time.perf_counter() - t0, time.process_time() - c0


async def scenario_seq(a: Adapter) -> dict[str, float]:
    await a.open(100)
    for _ in range(20):
        await a.get("/small")
    n, wall, cpu = await timed(PARAMS["seq"], lambda: a.get("/small"))
    await a.close()
    return {"n": n, "wall": wall, "cpu": cpu}


async def scenario_conc(a: Adapter) -> dict[str, float]:
    await a.open(64)
    await asyncio.gather(*(a.get("/small") for _ in range(64)))
    per_task = PARAMS["conc"] // 64
    deadline = time.perf_counter() + BUDGET

    async def worker() -> int:
        k = 0
        while k < per_task and time.perf_counter() < deadline:
            await a.get("/small")
            k += 1
        return k

    c0, t0 = time.process_time(), time.perf_counter()
    counts = await asyncio.gather(*(worker() for _ in range(64)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await a.close()
    return {"n": sum(counts), "wall": wall, "cpu": cpu}


async def scenario_download(a: Adapter) -> dict[str, float]:
    await a.open(100)
    await a.get("/small")
    c0, t0 = time.process_time(), time.perf_counter()
    size = await asyncio.wait_for(a.stream("/big"), BUDGET * 4)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await a.close()
    return {"n": 1, "bytes": size, "wall": wall, "cpu": cpu}


async def scenario_upload(a: Adapter) -> dict[str, float]:
    await a.open(100)
    await a.post("/upload", UPLOAD)
    n, wall, cpu = await timed(PARAMS["upload"], lambda: a.post("/upload", UPLOAD))
    await a.close()
    return {"n": n, "wall": wall, "cpu": cpu}


async def scenario_json(a: Adapter) -> dict[str, float]:
    await a.open(100)
    await a.get_json("/json")
    n, wall, cpu = await timed(PARAMS["json"], lambda: a.get_json("/json"))
    await a.close()
    return {"n": n, "wall": wall, "cpu": cpu}


SCENARIOS = {
    "seq": scenario_seq,
    "conc64": scenario_conc,
    "download": scenario_download,
    "upload": scenario_upload,
    "json": scenario_json,
}


async def main() -> None:
    out: dict[str, Any] = {}
    for name in PARAMS["scenarios"]:
        try:
            out[name] = await SCENARIOS[name](make_adapter())
        except Exception as exc:  # report, keep going with the other scenarios
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
