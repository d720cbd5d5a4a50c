"""Benchmark: Tab completion in %%graph cells, the time per completion, cold and warm.

Every completion goes through IPython's own completer (``shell.Completer.completions`` with the
whole cell and the cursor offset, as ipykernel asks it), with ``%load_ext graph_magic`` done.
The first completion of each case runs in a fresh interpreter, so it pays for importing and
reading the knowledge index: once right after ``%load_ext`` (it also reads the default system's
file, as the first cell would, to learn its cloud; it never starts the sandbox) and once after
a first ``%graph status`` cell (the system already loaded). Each first completion is the median
of ``repeats`` fresh interpreters, with the bytecode caches warm (a temporary cache directory,
filled by one untimed run), as at a user's second kernel start. The warm figure is the median of
many calls in one interpreter once everything is loaded. Targets (issue 19): under 300 ms for
the first completion, under 20 ms warm; the table gives each figure's ratio to its target and
the machine's load average. Run: ``python benchmarks/bench_completion.py [--quick] [--calls N]
[--repeats R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

COLD_TARGET_S = 0.300
WARM_TARGET_S = 0.020
#: (case, cell): the cursor is at the end of the cell.
CASES = (
    ("entity set", "%%graph\nGET /us"),
    ("$ option name", "%%graph\nGET /users?$sel"),
    ("$select property", "%%graph\nGET /users\n$select: id,displ"),
    ("navigation after {id}", "%%graph\nGET /users/{id}/mem"),
    ("cast (40 words)", "%%graph\nGET /users/abc/memberOf/microsoft.graph."),
    ("$filter enum value", "%%graph\nGET /identity/conditionalAccess/policies\n$filter: state eq "),
    ("header name", "%%graph\nGET /users\nConsis"),
    ("%graph line", "users = %graph GET /users?$expand=man"),
)
SIZES = {
    "quick": {"calls": 50, "cold_cases": 2, "repeats": 1},
    "full": {"calls": 500, "cold_cases": len(CASES), "repeats": 3},
}


def _shell() -> Any:
    """A fresh InteractiveShell with graph_magic loaded (history in memory, no profile dir)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.extension_manager.load_extension("graph_magic")
    return shell


def _completer(shell: Any, cell: str) -> Callable[[], list[str]]:
    from IPython.core.completer import provisionalcompleter

    def complete() -> list[str]:
        with provisionalcompleter():
            return [c.text for c in shell.Completer.completions(cell, len(cell))]

    return complete


def cold_child(index: int, after_cell: bool) -> dict[str, Any]:
    """Case ``index``'s first completion in this fresh interpreter, after %load_ext or a cell."""
    shell = _shell()
    if after_cell:
        shell.run_cell("%graph status", store_history=False, silent=True)
    complete = _completer(shell, CASES[index][1])
    started = time.perf_counter()
    complete()
    return {"case": CASES[index][0], "cold_s": time.perf_counter() - started}


def warm(calls: int) -> dict[str, dict[str, Any]]:
    """Every case's median seconds per completion once warm, in this interpreter."""
    shell = _shell()
    figures = {}
    for name, cell in CASES:
        complete = _completer(shell, cell)
        words = complete()
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            complete()
            samples.append(time.perf_counter() - started)
        samples.sort()
        figures[name] = {
            "warm_s": statistics.median(samples),
            "warm_p95_s": samples[int(len(samples) * 0.95) - 1],
            "words": len(words),
        }
    return figures


def _cold(index: int, after_cell: bool, cache_dir: str) -> float:
    """One first completion in a fresh interpreter whose bytecode goes to ``cache_dir``."""
    with tempfile.TemporaryDirectory(prefix="graph-magic-bench-") as home:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(IPYTHONDIR=home, PYTHONPYCACHEPREFIX=cache_dir)
        env.pop("GRAPH_MAGIC_SYSTEMS", None)
        done = subprocess.run(
            [sys.executable, __file__, "--cold-child", str(index)]
            + (["--after-cell"] if after_cell else []),
            capture_output=True,
            text=True,
            timeout=600,
            cwd=home,
            env=env,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])["cold_s"]


def run(
    *, calls: int, cold_cases: int, repeats: int = 1, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Cold figures (medians of fresh interpreters per case), then warm medians over ``calls``."""
    log(
        f"[completion] cold: 2 x {cold_cases} cases x {repeats} fresh interpreters; "
        f"warm: median of {calls} calls"
    )
    load_before = h.load_average()
    figures = warm(calls)
    with tempfile.TemporaryDirectory(prefix="graph-magic-pycache-") as cache_dir:
        _cold(0, True, cache_dir)  # untimed: fills the bytecode cache
        for index, (name, _) in enumerate(CASES):
            figure = figures[name]
            figure["cold_s"] = figure["cold_after_cell_s"] = None
            if index < cold_cases:
                for key, after in (("cold_s", False), ("cold_after_cell_s", True)):
                    runs = [_cold(index, after, cache_dir) for _ in range(repeats)]
                    figure[key] = statistics.median(runs)
                first, later = _ms(figure["cold_s"]), _ms(figure["cold_after_cell_s"])
                log(f"    {name:<24} first {first}, first after a cell {later}")
    return {
        "params": {
            "calls": calls,
            "cold_cases": cold_cases,
            "repeats": repeats,
            "load_average": {"before": load_before, "after": h.load_average()},
        },
        "targets": {"cold_s": COLD_TARGET_S, "warm_s": WARM_TARGET_S},
        "cases": figures,
    }


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _against(seconds: float | None, target: float) -> str:
    """The figure's ratio to its target and whether it is under it."""
    if seconds is None:
        return "-"
    return f"{seconds / target:.2f}x {'ok' if seconds < target else 'OVER'}"


def report(results: dict[str, Any]) -> str:
    """One table: per case, the first completions and the warm median, each with its ratio to
    its target (under 1.00x meets it), then the machine's load while it ran.

    "first" (right after %load_ext) also reads the default system's file, which the first cell
    would otherwise do; "after a cell" leaves the completion's own cost (the knowledge index).
    """
    cold_target, warm_target = results["targets"]["cold_s"], results["targets"]["warm_s"]
    rows = []
    for name, figure in results["cases"].items():
        row = [name, str(figure["words"])]
        for key in ("cold_s", "cold_after_cell_s"):
            row += [_ms(figure[key]), _against(figure[key], cold_target)]
        row += [_ms(figure["warm_s"]), _ms(figure["warm_p95_s"])]
        row += [_against(figure["warm_s"], warm_target)]
        rows.append(row)
    headers = ["case", "words", "first", "/ 300 ms", "first after a cell", "/ 300 ms"]
    table = h.table([*headers, "warm median", "warm p95", "/ 20 ms"], rows)
    load = results["params"]["load_average"]
    return f"{table}\nload average (1, 5, 15 min): before {load['before']}, after {load['after']}"


def main(argv: list[str] | None = None) -> None:
    """Run the completion benchmark and print its table (or its JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--repeats", type=int, help="fresh interpreters per first completion")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cold-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--after-cell", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child is not None:
        print(json.dumps(cold_child(args.cold_child, args.after_cell)))
        return
    size = SIZES["quick" if args.quick else "full"]
    results = run(
        calls=args.calls or size["calls"],
        cold_cases=size["cold_cases"],
        repeats=args.repeats or size["repeats"],
        log=lambda line: print(line, file=sys.stderr),
    )
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
