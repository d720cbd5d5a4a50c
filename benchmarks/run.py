"""Run every benchmark in one go, write benchmarks/results/latest.json and print one table.

    python benchmarks/run.py [--quick] [--only scan,small] [--out PATH]
    python -m benchmarks.run [--quick]

``--quick`` uses small sizes and one or two rounds (a smoke run of a few minutes); the default
sizes are issue 7's (100,000-user scan, 1,000 small GETs, ...). Each comparison serves the sandbox
on 127.0.0.1 with injected latency, alternates its sides and reports medians, ratios, the latency
bound and the sandbox's own floor. The frames, CSV, connector and sandbox benchmarks are separate
scripts (their owners'); they run here as subprocesses and their figures are collected from
their output. Nothing here asserts a timing: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness as h  # noqa: E402

RESULTS = HERE / "results" / "latest.json"


# ---------------------------------------------------------------------------- our comparisons


def _scan(quick: bool, latency_ms: float) -> dict[str, Any]:
    import bench_scan

    return bench_scan.run(latency_ms=latency_ms, **bench_scan.SIZES[_mode(quick)])


def _small(quick: bool, latency_ms: float) -> dict[str, Any]:
    import bench_small_requests

    return bench_small_requests.run(
        latency_ms=latency_ms, **bench_small_requests.SIZES[_mode(quick)]
    )


def _throttled(quick: bool, latency_ms: float) -> dict[str, Any]:
    import bench_throttled

    return bench_throttled.run(latency_ms=latency_ms, **bench_throttled.SIZES[_mode(quick)])


def _pacing(quick: bool, latency_ms: float) -> dict[str, Any]:
    import bench_pacing

    return bench_pacing.run(latency_ms=latency_ms, **bench_pacing.SIZES[_mode(quick)])


def _startup(quick: bool, latency_ms: float) -> dict[str, Any]:
    import bench_startup

    return bench_startup.run(**bench_startup.SIZES[_mode(quick)])


# ---------------------------------------------------------------------------- other scripts


def _script(name: str, *args: str, timeout: float = 1800) -> str:
    """Run a benchmark script of this directory; its stdout (raises on failure)."""
    print(f"[{name}] {' '.join(args)}")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(HERE.parent),
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{name}.py exited {done.returncode}: {' | '.join(tail)}")
    for line in done.stdout.rstrip().splitlines():
        print(f"    {line}")
    print(f"    ({time.perf_counter() - started:.1f} s)")
    return done.stdout


def _number(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1).replace(",", "")) if found else None


def _row(benchmark: str, side: str, **fields: Any) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "side": side,
        "median_s": fields.get("median_s"),
        "ratio": fields.get("ratio"),
        "vs": fields.get("vs", ""),
        "bound_s": None,
        "floor_s": None,
        "note": fields.get("note"),
        "error": None,
    }


def _frames(quick: bool, latency_ms: float) -> dict[str, Any]:
    users, runs = (10_000, 1) if quick else (100_000, 5)
    text = _script("bench_frames", "--users", str(users), "--runs", str(runs))
    names = {
        "frames.items_to_frame(flatten_depth=2)": r"items_to_frame\(flatten_depth=2\)",
        "pandas.json_normalize(max_level=2)": r"json_normalize\(max_level=2\)",
        "pandas.json_normalize()": r"json_normalize\(\)",
    }
    wall = {k: _number(rf"{v}\s+median\s+([\d.]+)", text) for k, v in names.items()}
    cpu = {k: _number(rf"cpu {v}\s+median\s+([\d.]+)", text) for k, v in names.items()}
    ours = "frames.items_to_frame(flatten_depth=2)"
    label = f"flatten {users:,} users"
    rows = []
    for name in names:
        theirs = name != ours
        rows.append(
            _row(
                label,
                name,
                median_s=wall[name],
                ratio=h.ratio(wall[ours], wall[name]) if theirs else None,
                vs="items_to_frame/this" if theirs else "",
                note=None if cpu[name] is None else f"CPU median {cpu[name]:.3f} s",
            )
        )
    return {"params": {"users": users, "runs": runs}, "output": text, "rows": rows}


def _memory(quick: bool, latency_ms: float) -> dict[str, Any]:
    sign_ins = 50_000 if quick else 1_000_000
    text = _script("bench_memory", "--sign-ins", str(sign_ins), "--json")
    found = json.loads(text.strip().splitlines()[-1])
    label = f"memory of {sign_ins:,} sign-ins (deep memory_usage)"
    ours, theirs = found["ours_bytes"], found["json_normalize_bytes"]
    rows = [
        _row(
            label,
            "frames.items_to_frame (typed columns)",
            note=f"{ours / 2**20:.1f} MiB, built in {found['ours_build_s']:.2f} s",
        ),
        _row(
            label,
            "pandas.json_normalize()",
            ratio=found["ratio"],
            vs="memory items_to_frame/this",
            note=f"{theirs / 2**20:.1f} MiB, built in {found['json_normalize_build_s']:.2f} s",
        ),
    ]
    return {"params": {"sign_ins": sign_ins}, "output": text, "rows": rows, "figures": found}


def _csv(quick: bool, latency_ms: float) -> dict[str, Any]:
    # Through the script's own small parent process: a child forked from this (big) process
    # would report this process's peak RSS as its own (ru_maxrss survives exec).
    sizes = (20_000, 50_000) if quick else (200_000, 1_000_000)
    text = _script("bench_csv", "--sizes", *map(str, sizes))
    rows = []
    pattern = (
        r"(CsvExporter|ParquetExporter)\s+([\d,]+) rows:\s+([\d.]+) s wall, "
        r"peak RSS ([\d.]+) MB \(after imports ([\d.]+) MB\)"
    )
    for found in re.finditer(pattern, text):
        rows.append(
            _row(
                "--csv / --parquet export (sign-ins)",
                f"{found.group(1)} {found.group(2)} rows",
                median_s=float(found.group(3)),
                note=f"peak RSS {found.group(4)} MB (after imports {found.group(5)} MB), 1 run",
            )
        )
    return {"params": {"sizes": list(sizes)}, "output": text, "rows": rows}


def _connector(quick: bool, latency_ms: float) -> dict[str, Any]:
    runs = 1 if quick else 7
    text = _script("bench_connector", "--runs", str(runs))
    hand = _number(r"hand-written httpx loop\s+median\s+([\d.]+) ms", text)
    ours = _number(r"perform_action\s+median\s+([\d.]+) ms", text)
    label = "20x999 precomputed pages, no latency"
    return {
        "params": {"runs": runs},
        "output": text,
        "rows": [
            _row(
                label,
                "perform_action (bench_connector)",
                median_s=None if ours is None else ours / 1000,
                ratio=h.ratio(ours, hand),
                vs="this/hand loop",
            ),
            _row(label, "hand-written httpx loop", median_s=None if hand is None else hand / 1000),
        ],
    }


def _sandbox(quick: bool, latency_ms: float) -> dict[str, Any]:
    users, seconds = (5000, 1) if quick else (20_000, 3)
    text = _script("bench_sandbox", "--users", str(users), "--seconds", str(seconds))
    rows = []
    for line in text.splitlines():
        found = re.match(r"\s*(.+?)\s+([\d.]+) pages/s\s+([\d.]+) users/s\s+([\d.]+) ms/page", line)
        if found:
            rows.append(
                _row(
                    "sandbox serving (no latency)",
                    found.group(1).strip(),
                    median_s=float(found.group(4)) / 1000,
                    note=f"{found.group(2)} pages/s, {found.group(3)} users/s (per page)",
                )
            )
    return {"params": {"users": users, "seconds": seconds}, "output": text, "rows": rows}


RUNNERS: dict[str, Callable[[bool, float], dict[str, Any]]] = {
    "scan": _scan,
    "small": _small,
    "throttled": _throttled,
    "pacing": _pacing,
    "startup": _startup,
    "frames": _frames,
    "memory": _memory,
    "csv": _csv,
    "connector": _connector,
    "sandbox": _sandbox,
}


# ---------------------------------------------------------------------------- report


def _mode(quick: bool) -> str:
    return "quick" if quick else "full"


def render(results: dict[str, Any]) -> str:
    """The results as one plain-text table (plus failures), as printed at the end."""
    headers = ["benchmark / side", "median", "ratio", "ratio is", "latency bound", "floor", "notes"]
    rows = []
    failures = []
    for name, result in results["benchmarks"].items():
        if "error" in result and "rows" not in result:
            failures.append(f"{name}: {result['error']}")
            continue
        current = None
        for row in result.get("rows", []):
            if row["benchmark"] != current:
                current = row["benchmark"]
                rows.append([f"{current}", "", "", "", "", "", ""])
            note = row.get("note") or ""
            if row.get("error"):
                note = f"FAILED: {row['error'][:60]}"
            rows.append(
                [
                    f"  {row['side']}",
                    h.fmt_seconds(row["median_s"]),
                    h.fmt_ratio(row["ratio"]),
                    row["vs"] if row["ratio"] is not None else "",
                    h.fmt_seconds(row["bound_s"]),
                    h.fmt_seconds(row["floor_s"]),
                    note,
                ]
            )
    lines = [h.table(headers, rows)] if rows else []
    lines += [f"FAILED {f}" for f in failures]
    return "\n".join(lines)


def _write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; write the JSON after each one; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 1-2 rounds")
    parser.add_argument(
        "--only", help=f"comma-separated subset of: {', '.join(RUNNERS)} (default: all)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="sandbox latency per request"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON file (default {RESULTS})")
    parser.add_argument(
        "--show", action="store_true", help="print the table of the --out file; run nothing"
    )
    args = parser.parse_args(argv)
    if args.show:
        _print_report(json.loads(args.out.read_text()), args.out)
        return 0
    names = list(RUNNERS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in RUNNERS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; known: {', '.join(RUNNERS)}")

    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": _mode(args.quick),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "latency_ms": args.latency_ms,
        "machine": h.machine(),
        "benchmarks": {},
    }
    for name in names:
        began = time.perf_counter()
        try:
            result = RUNNERS[name](args.quick, args.latency_ms)
        except Exception as exc:  # one failing benchmark must not lose the others' figures
            print(f"[{name}] FAILED: {type(exc).__name__}: {exc}")
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result["elapsed_s"] = round(time.perf_counter() - began, 1)
        results["benchmarks"][name] = result
        _write(results, args.out)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    _write(results, args.out)

    _print_report(results, args.out)
    return 0


def _print_report(results: dict[str, Any], path: Path) -> None:
    machine = results["machine"]
    print()
    print(
        f"graph-magic benchmarks ({results['mode']}, {results['started_utc']}), "
        f"{results['latency_ms']:g} ms sandbox latency, "
        f"{machine['cpu_model'] or machine['processor']}, {machine['logical_cpus']} CPUs, "
        f"{machine['memory_gb']} GB, Python {machine['python']}, "
        f"two-process speedup {machine.get('two_process_speedup', '?')}"
    )
    print(render(results))
    print(f"\n{results.get('elapsed_s', 0):.0f} s in all; figures in {path}")


if __name__ == "__main__":
    sys.exit(main())
