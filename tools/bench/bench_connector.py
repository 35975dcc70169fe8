"""Connector benchmark: ketch_connector beside aiohttp's TCPConnector.

    hatch run bench:python tools/bench/bench_connector.py            # about a minute
    hatch run bench:python tools/bench/bench_connector.py --quick    # smaller counts

1. Acquire/release of a pooled keep-alive connection (the per-request cost of the pool),
   and connect + close of a new TCP connection, against the same loopback server.
2. 10,000 concurrent keep-alive connections to a loopback server: client memory per
   connection (RSS growth, and Python heap growth measured with tracemalloc in a second
   run), goal <= 8 KiB for ketch.

Each client runs in its own subprocess (fresh interpreter, comparable memory) and the
holding server in another one; RLIMIT_NOFILE is raised to its hard limit in each. Every
loop is bounded in count, every subprocess in time; servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve()
PAGE = os.sysconf("SC_PAGE_SIZE")


def raise_nofile(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(need, soft)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


# -- the holding server (its own process) ----------------------------------------------
async def serve(duration: float) -> None:
    raise_nofile(20000)
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # until the client closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    try:
        await asyncio.sleep(duration)
    finally:
        server.close()


# -- client workers (one process per client and measurement) ----------------------------
async def ketch_open(port: int, n: int) -> tuple[list[object], object]:
    from ketch_connector import ConnectionKey, TCPConnector

    conn = TCPConnector(limit=0)
    key = ConnectionKey("127.0.0.1", port)
    held: list[object] = []
    for start in range(0, n, 500):
        held += await asyncio.gather(*(conn.connect(key) for _ in range(min(500, n - start))))
    return held, conn


async def aiohttp_open(port: int, n: int) -> tuple[list[object], object]:
    import aiohttp
    from yarl import URL

    conn = aiohttp.TCPConnector(limit=0)
    req = aiohttp.ClientRequest("GET", URL(f"http://127.0.0.1:{port}/"), loop=asyncio.get_running_loop())
    timeout = aiohttp.ClientTimeout()
    held: list[object] = []
    for start in range(0, n, 500):
        held += await asyncio.gather(
            *(conn.connect(req, [], timeout) for _ in range(min(500, n - start)))
        )
    return held, conn


async def memory_worker(client: str, port: int, n: int, use_tracemalloc: bool) -> dict[str, float]:
    raise_nofile(n + 1000)
    opener = ketch_open if client == "ketch" else aiohttp_open
    # Warm up imports and one-time structures so they are not counted per connection.
    warm, warm_conn = await opener(port, 10)
    for c in warm:
        c.close()  # type: ignore[attr-defined]
    await warm_conn.close()  # type: ignore[attr-defined]
    gc.collect()
    if use_tracemalloc:
        tracemalloc.start()
    before_rss, before_py = rss(), tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    held, conn = await opener(port, n)
    elapsed = time.perf_counter() - t0
    gc.collect()
    after_rss, after_py = rss(), tracemalloc.get_traced_memory()[0]
    result = {
        "open_s": elapsed,
        "rss_per_conn": (after_rss - before_rss) / n,
        "py_per_conn": (after_py - before_py) / n if use_tracemalloc else 0.0,
    }
    for c in held:
        c.close()  # type: ignore[attr-defined]
    await conn.close()  # type: ignore[attr-defined]
    return result


async def acquire_worker(client: str, port: int, n: int) -> dict[str, float]:
    raise_nofile(4000)
    if client == "ketch":
        from ketch_connector import ConnectionKey, TCPConnector

        kconn = TCPConnector()
        key = ConnectionKey("127.0.0.1", port)

        async def acquire() -> object:
            return await kconn.connect(key)

        closer = kconn.close
    else:
        import aiohttp
        from yarl import URL

        aconn = aiohttp.TCPConnector()
        req = aiohttp.ClientRequest("GET", URL(f"http://127.0.0.1:{port}/"), loop=asyncio.get_running_loop())
        timeout = aiohttp.ClientTimeout()

        async def acquire() -> object:
            return await aconn.connect(req, [], timeout)

        closer = aconn.close
    (await acquire()).release()  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for _ in range(n):
        (await acquire()).release()  # type: ignore[attr-defined]
    reuse = (time.perf_counter() - t0) / n
    m = max(1, n // 20)
    t0 = time.perf_counter()
    for _ in range(m):
        (await acquire()).close()  # type: ignore[attr-defined]
    new = (time.perf_counter() - t0) / m
    await closer()
    return {"reuse_us": reuse * 1e6, "new_us": new * 1e6}


def run_worker(args: list[str], timeout: float) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, str(HERE), "--worker", *args], capture_output=True, text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.serve:
        asyncio.run(serve(opts.serve))
        return 0
    if opts.worker:
        kind, client, port, n = opts.worker[:4]
        if kind == "acquire":
            out = asyncio.run(acquire_worker(client, int(port), int(n)))
        else:
            out = asyncio.run(memory_worker(client, int(port), int(n), kind == "heap"))
        print(json.dumps(out))
        return 0

    conns = 2000 if opts.quick else 10_000
    iters = 5000 if opts.quick else 50_000
    server = subprocess.Popen(
        [sys.executable, str(HERE), "--serve", "240"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        print(f"connector benchmark, loopback server on port {port}\n")
        print(f"acquire + release of a pooled connection ({iters} times), connect + close of a new one")
        for client in ("ketch", "aiohttp"):
            r = run_worker(["acquire", client, port, str(iters)], 120)
            print(f"  {client:8} reuse {r['reuse_us']:7.2f} us   new {r['new_us']:7.1f} us")
        print(f"\n{conns} concurrent keep-alive connections held by the client")
        for client in ("ketch", "aiohttp"):
            r = run_worker(["rss", client, port, str(conns)], 120)
            h = run_worker(["heap", client, port, str(conns)], 120)
            print(
                f"  {client:8} RSS {r['rss_per_conn'] / 1024:5.2f} KiB/conn   "
                f"Python heap {h['py_per_conn'] / 1024:5.2f} KiB/conn   "
                f"opened in {r['open_s']:.2f} s"
            )
        print("\n(goal for ketch: <= 8 KiB per connection)")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
