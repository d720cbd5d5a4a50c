"""Benchmark: the knowledge index, its cold load per cloud and its warm look-ups.

Each cloud runs in a fresh interpreter (so nothing is cached): the first ``resolve`` times the
schema index's read and parse, the first ``permissions`` the permissions map's, and
``tracemalloc`` reports what each holds in memory once loaded. Warm figures are the median of
many calls of the look-ups completion and pre-flight checks make (``resolve``, ``children``,
``permissions``) over a few representative paths. The size on disk is the shipped file's.
Run: ``python benchmarks/bench_knowledge.py [--quick] [--calls N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

DATA = h.REPO / "graph_magic" / "knowledge" / "data"
CLOUDS = ("global", "usgov", "china")
PATHS = (
    "/users",
    "/users/{id}/memberOf/microsoft.graph.group",
    "/me/drive/root:/Reports/q1.xlsx:/content",
    "reports/getEmailActivityUserDetail(period='D7')",
)
PERMISSION_REQUESTS = (
    ("GET", "/users"),
    ("GET", "/users/abc@contoso.com/memberOf"),
    ("GET", "/me/messages"),
    ("GET", "/nowhere/at/all"),
)
SIZES = {"quick": {"calls": 200}, "full": {"calls": 2000}}


def _cold(load: Callable[[], object], *, memory: bool) -> float:
    """Seconds of the first call or, with ``memory``, the bytes it left allocated.

    tracemalloc slows every allocation, so time and memory come from separate interpreters.
    """
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    load()
    elapsed = time.perf_counter() - start
    if not memory:
        return elapsed
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held


def _warm(calls: int, work: Callable[[], object]) -> float:
    """Median seconds of one call of ``work``, in batches after a warming call."""
    work()
    batch = 20
    samples = []
    for _ in range(max(calls // batch, 1)):
        start = time.perf_counter()
        for _ in range(batch):
            work()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples)


def child(cloud: str, calls: int, memory: bool) -> dict[str, Any]:
    """One cloud's figures (times, or with ``memory`` sizes), in this fresh interpreter."""
    from graph_magic.knowledge import Knowledge
    from graph_magic.knowledge.store import schema_file

    knowledge = Knowledge.for_cloud(cloud)
    schema = _cold(lambda: knowledge.resolve("/users"), memory=memory)
    permissions = _cold(lambda: knowledge.permissions("GET", "/users"), memory=memory)
    if memory:
        return {"schema_bytes": schema, "permissions_bytes": permissions}
    return {
        "cloud": cloud,
        "schema_file": schema_file(cloud),
        "cold_schema_s": schema,
        "cold_permissions_s": permissions,
        "resolve_s": _warm(calls, lambda: [knowledge.resolve(p) for p in PATHS]) / len(PATHS),
        "children_s": _warm(calls, lambda: [knowledge.children(p) for p in PATHS]) / len(PATHS),
        "permissions_s": _warm(
            calls, lambda: [knowledge.permissions(m, p) for m, p in PERMISSION_REQUESTS]
        )
        / len(PERMISSION_REQUESTS),
    }


def _child(cloud: str, calls: int, memory: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", cloud, "--calls", str(calls)]
    done = subprocess.run(
        command + (["--memory"] if memory else []),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=h.REPO,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, calls: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every cloud in its own fresh interpreter; return the figures (JSON-ready)."""
    log(f"[knowledge] fresh interpreter per cloud, warm medians over {calls} calls")
    figures = []
    for cloud in CLOUDS:
        figures.append({**_child(cloud, calls, False), **_child(cloud, calls, True)})
    disk = {path.name: path.stat().st_size for path in sorted(DATA.iterdir())}
    return {"params": {"calls": calls}, "disk_bytes": disk, "clouds": figures}


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us"


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def report(results: dict[str, Any]) -> str:
    """The figures as two small tables: per cloud, and the index files on disk."""
    disk = results["disk_bytes"]
    rows = [
        [
            f["cloud"],
            _mb(disk[f["schema_file"]]),
            h.fmt_seconds(f["cold_schema_s"]),
            _mb(f["schema_bytes"]),
            h.fmt_seconds(f["cold_permissions_s"]),
            _mb(f["permissions_bytes"]),
            _us(f["resolve_s"]),
            _us(f["children_s"]),
            _us(f["permissions_s"]),
        ]
        for f in results["clouds"]
    ]
    headers = [
        *("cloud", "schema disk", "cold schema", "in memory", "cold perms", "in memory"),
        *("resolve", "children", "permissions"),
    ]
    files = [[name, f"{size:,} B"] for name, size in disk.items()]
    files.append(["total", f"{sum(disk.values()):,} B"])
    return h.table(headers, rows) + "\n\n" + h.table(["index file", "size on disk"], files)


def main(argv: list[str] | None = None) -> None:
    """Run the knowledge benchmark and print its tables (or its JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    calls = args.calls or SIZES["quick" if args.quick else "full"]["calls"]
    if args.child:
        print(json.dumps(child(args.child, calls, args.memory)))
        return
    results = run(calls=calls, log=lambda line: print(line, file=sys.stderr))
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
