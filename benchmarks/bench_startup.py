"""Comparison 5: start-up, `import graph_magic` and `%load_ext graph_magic` against msgraph.

Each case runs in a fresh interpreter (so nothing is already imported) and times only the
import itself (not the interpreter's own start): wall seconds, modules it added to
``sys.modules`` and the process's peak resident memory afterwards. The cases run alternately,
after one untimed round that leaves the bytecode caches warm, as a user's second start would be.

Run: ``python benchmarks/bench_startup.py [--quick] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

_PROBE = """
import json, sys, time
sys.path.insert(0, {repo!r})
{setup}
before = set(sys.modules)
start = time.perf_counter()
{timed}
elapsed = time.perf_counter() - start
added = set(sys.modules) - before
with open("/proc/self/status") as status:  # VmHWM: this process's own peak (ru_maxrss would
    hwm = [l.split()[1] for l in status if l.startswith("VmHWM")]  # include the parent's)
print(json.dumps({{"seconds": elapsed, "modules": len(added),
                  "packages": sorted({{m.split(".")[0] for m in added if not m.startswith("_")}}),
                  "rss_mb": int(hwm[0]) / 1024 if hwm else None}}))
"""

_SHELL = (
    "from IPython.core.interactiveshell import InteractiveShell\nip = InteractiveShell.instance()"
)

CASES: dict[str, tuple[str, str]] = {
    "import graph_magic": ("", "import graph_magic"),
    "%load_ext graph_magic (shell already up)": (
        _SHELL,
        "ip.run_line_magic('load_ext', 'graph_magic')",
    ),
    "import msgraph": ("", "import msgraph"),
    "from msgraph import GraphServiceClient": ("", "from msgraph import GraphServiceClient"),
    "msgraph GraphServiceClient + pandas": (
        "",
        "from msgraph import GraphServiceClient\nimport pandas",
    ),
}


def _measure(setup: str, timed: str) -> dict[str, Any]:
    code = _PROBE.format(repo=str(h.REPO), setup=setup, timed=timed)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=h.REPO
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, repeats: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Time every case in fresh interpreters, alternately; return the figures (JSON-ready)."""
    log("[startup] fresh interpreters, import time only")
    results: dict[str, dict[str, Any]] = {}

    def side(name: str) -> h.Side:
        def once() -> dict[str, Any]:
            out = _measure(*CASES[name])
            results.setdefault(name, {"seconds": [], "modules": None, "rss_mb": None})
            results[name]["seconds"].append(out["seconds"])
            results[name]["modules"] = out["modules"]
            results[name]["packages"] = out["packages"]
            results[name]["rss_mb"] = out["rss_mb"] and round(out["rss_mb"], 1)
            return {"import_s": round(out["seconds"], 3), "modules": out["modules"]}

        return once

    timings = h.alternate({name: side(name) for name in CASES}, repeats, log=log)
    medians: dict[str, float | None] = {}
    for name, timing in timings.items():
        # the figure is the import's own time (inside the child), not the child's whole life
        own = [e["import_s"] for e in timing.extras]
        medians[name] = statistics.median(own) if own else None
    # %load_ext brings pandas, so it is set against the SDK import plus pandas
    refs = {
        "import graph_magic": ("from msgraph import GraphServiceClient", "SDK import/this"),
        "%load_ext graph_magic (shell already up)": (
            "msgraph GraphServiceClient + pandas",
            "SDK+pandas/this",
        ),
    }
    rows = []
    for name in CASES:
        info = results.get(name, {})
        rows.append(
            {
                "benchmark": "start-up",
                "side": name,
                "median_s": medians[name],
                "ratio": h.ratio(medians[refs[name][0]], medians[name]) if name in refs else None,
                "vs": refs[name][1] if name in refs else "",
                "bound_s": None,
                "floor_s": None,
                "note": f"{info.get('modules')} modules, peak RSS {info.get('rss_mb')} MB",
                "error": timings[name].error,
            }
        )
    return {
        "params": {"repeats": repeats},
        "cases": {
            name: {
                "median_s": medians[name],
                "modules": results.get(name, {}).get("modules"),
                "peak_rss_mb": results.get(name, {}).get("rss_mb"),
                "packages": results.get(name, {}).get("packages"),
                "error": timings[name].error,
            }
            for name in CASES
        },
        "rows": rows,
    }


SIZES = {"quick": {"repeats": 2}, "full": {"repeats": 7}}


def main(argv: list[str] | None = None) -> None:
    """Run the start-up comparison alone and print its JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    sizes = dict(SIZES["quick" if args.quick else "full"])
    if args.repeats is not None:
        sizes["repeats"] = args.repeats
    print(json.dumps(run(**sizes), indent=2, default=str))


if __name__ == "__main__":
    main()
