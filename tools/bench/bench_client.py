"""End-to-end client benchmark: ketch beside aiohttp and httpx against one local nginx.

    hatch run bench:client            # full run (about 2-3 minutes)
    hatch run bench:client --quick    # one short round, for a quick look while optimising

Every client runs each scenario in its own process pinned to core 0 while nginx is pinned
to core 1. The clients take turns scenario by scenario, and the whole set is repeated
(--rounds) because machines here are shared and noisy; the table shows medians, the ratio
of each rate to aiohttp (with its C extensions), and the client CPU time per request (or
per MiB for the download) beside each rate. aiohttp-py is aiohttp with AIOHTTP_NO_EXTENSIONS=1, the
pure-Python anchor. Every scenario is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nginx import BIG_SIZE, NginxServer  # noqa: E402

HERE = Path(__file__).resolve().parent
CLIENTS = ["ketch", "aiohttp", "aiohttp-py", "httpx"]
SCENARIO_NAMES = {
    "seq": "sequential small GETs, one keep-alive connection",
    "conc64": "64 concurrent tasks, pool of 64",
    "download": "100 MiB streamed download",
    "upload": "1 MiB uploads",
    "json": "GET + JSON decode",
}


def run_worker(client: str, url: str, params: dict[str, Any], timeout: float) -> dict[str, dict[str, Any]]:
    env = dict(os.environ)
    env.pop("AIOHTTP_NO_EXTENSIONS", None)
    if client == "aiohttp-py":
        env["AIOHTTP_NO_EXTENSIONS"] = "1"
    cmd = [sys.executable, str(HERE / "_client_worker.py"), client, url, json.dumps(params)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {name: {"error": "timed out"} for name in params["scenarios"]}
    if proc.returncode != 0:
        return {name: {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
                for name in params["scenarios"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one short round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--scenarios", default=",".join(SCENARIO_NAMES))
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    clients = args.clients.split(",")
    scenarios = args.scenarios.split(",")
    rounds = 1 if args.quick else args.rounds
    params = {
        "scenarios": scenarios,
        "budget": 2.0 if args.quick else 5.0,
        "seq": 1000 if args.quick else 5000,
        "conc": 2048 if args.quick else 12800,
        "upload": 50 if args.quick else 300,
        "json": 1000 if args.quick else 4000,
    }
    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        s: {c: [] for c in clients} for s in scenarios
    }
    with NginxServer(cpu=1) as server:
        for r in range(rounds):
            order = clients[r % len(clients):] + clients[: r % len(clients)]
            for s in scenarios:
                # One process per client and scenario, the clients back to back: the
                # numbers compared were measured seconds apart, not a minute.
                for client in order:
                    if s == "download":
                        server.warm()  # never time nginx reading /big from the disk
                    out = run_worker(client, server.url, dict(params, scenarios=[s]),
                                     timeout=240)
                    results[s][client].append(out.get(s, {"error": "missing"}))
            print(f"round {r + 1}/{rounds}: done", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print_table(results, clients, scenarios)
    print(f"  nginx's congestion control: {server.congestion} (tools/bench/README.md says why)")
    return 0


def summarize(runs: list[dict[str, Any]], scenario: str) -> tuple[float, float] | str:
    good = [r for r in runs if "error" not in r and r.get("n")]
    if not good:
        errs = {r.get("error", "no requests") for r in runs}
        return "; ".join(sorted(str(e) for e in errs))[:60]
    if scenario == "download":
        mib = [r["bytes"] / (1 << 20) for r in good]
        rate = statistics.median(m / r["wall"] for m, r in zip(mib, good))
        cpu = statistics.median(r["cpu"] / m * 1e3 for m, r in zip(mib, good))  # ms per MiB
        return rate, cpu
    rate = statistics.median(r["n"] / r["wall"] for r in good)
    cpu = statistics.median(r["cpu"] / r["n"] * 1e6 for r in good)  # µs per request
    return rate, cpu


def print_table(results: dict[str, dict[str, list[dict[str, Any]]]], clients: list[str],
                scenarios: list[str]) -> None:
    print()
    print(f"{'scenario':<10} {'client':<11} {'rate':>12} {'vs aiohttp':>10} {'vs aio-py':>9} "
          f"{'client CPU':>14} {'CPU vs aiohttp':>14}")
    for s in scenarios:
        summary = {c: summarize(results[s][c], s) for c in clients}
        base = summary.get("aiohttp")
        base_py = summary.get("aiohttp-py")
        unit, cpu_unit = ("MiB/s", "ms/MiB") if s == "download" else ("req/s", "µs/req")
        for c in clients:
            v = summary[c]
            if isinstance(v, str):
                print(f"{s:<10} {c:<11} {'error: ' + v}")
                continue
            rate, cpu = v
            ratio = f"{rate / base[0]:.2f}x" if isinstance(base, tuple) else "-"
            ratio_py = f"{rate / base_py[0]:.2f}x" if isinstance(base_py, tuple) else "-"
            cpu_ratio = f"{cpu / base[1]:.2f}x" if isinstance(base, tuple) else "-"
            print(f"{s:<10} {c:<11} {rate:>8.1f} {unit:<5} {ratio:>8} {ratio_py:>9} "
                  f"{cpu:>7.{3 if s == 'download' else 1}f} {cpu_unit:<6} {cpu_ratio:>14}")
    print()
    for s in scenarios:
        print(f"  {s}: {SCENARIO_NAMES[s]}")
    print(f"  download size: {BIG_SIZE >> 20} MiB; rates are medians over rounds")


if __name__ == "__main__":
    raise SystemExit(main())
