"""What tracing costs ketch per request: none, an idle config, aiohttp-style callbacks, timing.

    hatch run bench:python tools/bench/bench_tracing.py            # about 40 s
    hatch run bench:python tools/bench/bench_tracing.py --quick    # one short round

Sequential small GETs over one keep-alive connection to the private nginx (tools/bench/
nginx.py), one variant at a time, interleaved over several rounds because shared machines
are noisy; the table shows the median client CPU time per request of each variant and its
ratio to "none".
"none" is the default path (no trace configs: no trace objects, nothing awaited); "idle"
has one TraceConfig with no callbacks; "start+end" is the reference text's two-callback
example; "timing" is TimingTrace. aiohttp's "none" and "idle" are printed for reference.
Bounded in count and time per run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nginx import NginxServer  # noqa: E402


def configs(mod: Any, variant: str) -> list[Any]:
    if variant == "none":
        return []
    config = mod.TraceConfig()
    if variant == "start+end":
        async def on_request_start(session: Any, ctx: Any, params: Any) -> None:
            ctx.start = time.perf_counter()

        async def on_request_end(session: Any, ctx: Any, params: Any) -> None:
            ctx.elapsed = time.perf_counter() - ctx.start

        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_end)
    elif variant == "timing":
        config = mod.TimingTrace()
    return [config]


async def run(mod: Any, variant: str, url: str, budget: float, count: int) -> float:
    """Client CPU microseconds per request for one variant: sequential GETs, bounded by
    count and time. CPU time, not wall time: other processes on a shared machine slow
    the wall clock far more than they change this process's own work."""
    async with mod.ClientSession(trace_configs=configs(mod, variant)) as session:
        for _ in range(50):  # warm-up: connection, caches
            async with session.get(url) as resp:
                await resp.read()
        done = 0
        cpu = time.process_time()
        deadline = time.perf_counter() + budget
        while done < count and time.perf_counter() < deadline:
            async with session.get(url) as resp:
                await resp.read()
            done += 1
        return (time.process_time() - cpu) / done * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one short round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rounds, budget = (1, 1.0) if args.quick else (args.rounds, 1.5)
    count = 200_000

    import aiohttp

    import ketch

    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    runs: list[tuple[str, Any, str]] = [
        *(("ketch", ketch, v) for v in ("none", "idle", "start+end", "timing")),
        *(("aiohttp", aiohttp, v) for v in ("none", "idle")),
    ]
    costs: dict[tuple[str, str], list[float]] = {(c, v): [] for c, _, v in runs}
    with NginxServer(cpu=1) as nginx:
        url = nginx.url + "/small"
        for _ in range(rounds):
            for client, mod, variant in runs:
                costs[client, variant].append(asyncio.run(run(mod, variant, url, budget, count)))
    print(f"{'client':8} {'trace configs':14} {'CPU us/req':>11} {'vs none':>8}")
    for client, _, variant in runs:
        cost = statistics.median(costs[client, variant])
        base = statistics.median(costs[client, "none"])
        print(f"{client:8} {variant:14} {cost:11.1f} {cost / base:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
