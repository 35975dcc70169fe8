"""Show, check and bump the versions of the workspace's distributions.

    python tools/versions.py                 # list each distribution and its version
    python tools/versions.py check           # every sibling requirement admits the sibling's
                                             # current version (run by `hatch run check`)
    python tools/versions.py bump http1 minor
                                             # bump one package (major|minor|patch) and widen
                                             # the ranges of the packages that require it

Each distribution keeps its own version in ``src/<import>/_version.py`` and is released on
its own; siblings are required by compatible ranges (``>=0.1,<0.2``), never exact pins.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
_VERSION_RE = re.compile(r'^__version__ = "([^"]+)"$', re.M)


def load() -> dict[str, tuple[Path, Path, dict[str, object]]]:
    """distribution name -> (package dir, version file, [project] table)."""
    out = {}
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text())
        project = data["project"]
        version_file = pyproject.parent / data["tool"]["hatch"]["version"]["path"]
        out[project["name"]] = (pyproject.parent, version_file, project)
    return out


def version_of(version_file: Path) -> Version:
    match = _VERSION_RE.search(version_file.read_text())
    if match is None:
        raise SystemExit(f"{version_file}: no __version__ line")
    return Version(match.group(1))


def sibling_requirements(project: dict[str, object], names: set[str]) -> list[Requirement]:
    reqs = [Requirement(r) for r in project.get("dependencies", [])]  # type: ignore[union-attr]
    for extra in project.get("optional-dependencies", {}).values():  # type: ignore[union-attr]
        reqs.extend(Requirement(r) for r in extra)
    return [r for r in reqs if r.name in names]


def check() -> int:
    dists = load()
    versions = {name: version_of(vf) for name, (_, vf, _) in dists.items()}
    problems = 0
    for name, (_, _, project) in dists.items():
        for req in sibling_requirements(project, set(dists)):
            if req.specifier and versions[req.name] not in req.specifier:
                print(f"{name}: requires {req} but {req.name} is {versions[req.name]}")
                problems += 1
            if any(spec.operator == "==" for spec in req.specifier):
                print(f"{name}: pins {req} exactly; use a compatible range")
                problems += 1
    if not problems:
        print("versions: every sibling requirement admits the current versions")
    return 1 if problems else 0


def bump(package: str, part: str) -> int:
    dists = load()
    matches = [n for n, (d, _, _) in dists.items() if d.name == package or n == package]
    if len(matches) != 1 or part not in ("major", "minor", "patch"):
        raise SystemExit(__doc__)
    name = matches[0]
    _, version_file, _ = dists[name]
    old = version_of(version_file)
    major, minor, patch = (list(old.release) + [0, 0])[:3]
    new = {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0",
           "patch": f"{major}.{minor}.{patch + 1}"}[part]
    version_file.write_text(_VERSION_RE.sub(f'__version__ = "{new}"', version_file.read_text()))
    new_v = Version(new)
    upper = f"{new_v.major + 1}" if new_v.major else f"0.{new_v.minor + 1}"
    lower = f"{new_v.major}.{new_v.minor}"
    pattern = re.compile(rf'"{re.escape(name)}(\[[^\]]*\])?>=[^,"]+,<[^"]+"')
    for other, (pkg_dir, _, _) in dists.items():
        pyproject = pkg_dir / "pyproject.toml"
        text = pyproject.read_text()
        updated = pattern.sub(lambda m: f'"{name}{m.group(1) or ""}>={lower},<{upper}"', text)
        if updated != text:
            pyproject.write_text(updated)
            print(f"{other}: now requires {name}>={lower},<{upper}")
    print(f"{name}: {old} -> {new}")
    return check()


def main(argv: list[str]) -> int:
    if not argv:
        for name, (_, vf, _) in load().items():
            print(f"{name:<16} {version_of(vf)}")
        return 0
    if argv[0] == "check":
        return check()
    if argv[0] == "bump" and len(argv) == 3:
        return bump(argv[1], argv[2])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
