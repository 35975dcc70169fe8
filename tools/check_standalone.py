"""Prove each distribution builds alone and pulls in only the ketch packages it declares.

For every package: build its wheel, install it into a fresh virtual environment (from
the wheels just built plus the package index for third-party dependencies), and check
which ketch distributions came with it. The standalone packages then run their own test
directory inside that environment, importing the installed wheel, not the source tree.
Run by ``hatch run check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# package dir -> (distribution, the ketch distributions its install may contain, tests to run)
EXPECTED = {
    "http1": ("ketch-http1", {"ketch-http1"}, "tests/http1"),
    "cookies": ("ketch-cookies", {"ketch-cookies"}, "tests/cookies"),
    "tracing": ("ketch-tracing", {"ketch-tracing"}, "tests/tracing"),
    "connector": ("ketch-connector", {"ketch-connector", "ketch-http1", "ketch-tracing"}, None),
    "client": (
        "ketch",
        {"ketch", "ketch-connector", "ketch-http1", "ketch-tracing", "ketch-cookies"},
        None,
    ),
}
TEST_DEPS = ["pytest>=8", "pytest-asyncio>=0.24", "pytest-timeout>=2.3", "hypothesis>=6.100"]


def run(*cmd: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-4000:])
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return proc.stdout


def main() -> int:
    only = sys.argv[1:] or list(EXPECTED)
    with tempfile.TemporaryDirectory(prefix="ketch-standalone-") as tmp:
        wheels = Path(tmp) / "wheels"
        for pkg in EXPECTED:
            run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels,
                ROOT / "packages" / pkg)
        failures = 0
        for pkg in only:
            dist, allowed, tests = EXPECTED[pkg]
            env_dir = Path(tmp) / f"venv-{pkg}"
            venv.create(env_dir, with_pip=True)
            py = env_dir / "bin" / "python"
            pip = [py, "-m", "pip", "install", "--quiet", "--find-links", wheels]
            run(*pip, dist)
            frozen = run(py, "-m", "pip", "list", "--format=freeze")
            got = {
                line.split("==")[0].lower().replace("_", "-")
                for line in frozen.splitlines()
                if line.lower().startswith("ketch")
            }
            status = "ok" if got == allowed else f"UNEXPECTED {sorted(got)}"
            print(f"{dist}: installs {sorted(got)}: {status}")
            if got != allowed:
                failures += 1
                continue
            if tests and any((ROOT / tests).glob("test_*.py")):
                run(*pip, *TEST_DEPS)
                env = dict(os.environ, PYTHONPATH="")
                out = run(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests, env=env)
                print(f"{dist}: {out.strip().splitlines()[-1]} (installed wheel alone)")
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
