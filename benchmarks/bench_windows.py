"""Window-parallel export of sign-ins against the sequential nextLink scan, under both tables.

The sandbox serves ``--sign-ins`` sign-ins (200,000 by default) with Graph's log page size
(``$top=1000``) and ``--latency-ms`` per request (300 ms: a log page is slow to come), and
throttles the identity and access reports by one of the two tables Graph has published:

- ``legacy`` (1,000 requests per 20 s per app and tenant): generous, so a scan is bound by
  latency, and windows scanned at once (``--parallel 8``) should cut the time by the number
  of windows (target: at least 4x faster than sequential);
- ``current`` (5 requests per 10 s per app and tenant): strict, so the scan is bound by the
  limit whatever the parallelism, and the windowed scan must not do worse than the limit
  allows (target: within 5 % of the bound, under 1 % of requests answered 429).

Each side exports every sign-in (the items counted, as a writer would take them) through the
connector: ``iter_pages`` for the sequential scan, ``scan_windows`` for the windows. The bound
of a table is the longer of its latency bound (the longest chain of sequential pages) and its
limit bound (the requests beyond the bucket's first fill, at its refill rate). The strict table
runs at ``--strict-scale`` times its budget (4 by default: 20 per 10 s, so one run takes about
a minute and a half instead of six; the ratios to the bound are what count), low enough that
the limit, not the latency, still binds. The 429 counts are the server's own.

Run: ``python benchmarks/bench_windows.py [--quick] [--tables legacy,current]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

PATH = "/auditLogs/signIns"
PAGE = 1000  # Graph's default and largest sign-in page
DATA_END = datetime(2025, 6, 1, tzinfo=UTC)  # the sandbox's logs end here: the scans' "now"
TABLES = {"legacy": (1000, 20.0), "current": (5, 10.0)}  # requests per window, window seconds


async def _sequential(connector: Any) -> dict[str, Any]:
    items = pages = 0
    async for page in connector.iter_pages(PATH, params={"$top": str(PAGE)}):
        items += len(page.items)
        pages += 1
    return {"rows": items, "pages": pages}


async def _windowed(connector: Any, parallel: int) -> dict[str, Any]:
    from graph_magic.connector.windows import scan_windows

    request = connector.build_request(
        {"method": "GET", "endpoint": PATH, "params": {"$top": str(PAGE)}}
    )
    items = pages = 0
    async for page in scan_windows(connector, request, parallel, now=DATA_END):
        items += len(page.items)
        pages += 1
    return {"rows": items, "pages": pages}


def _refill(seconds: float) -> Callable[[], None]:
    """Before each run but the first, let the table's bucket fill up again."""
    used = [False]

    def wait() -> None:
        if used[0]:
            time.sleep(seconds)
        used[0] = True

    return wait


def bound(requests: int, chain: int, table: str, scale: float, latency_ms: float) -> float:
    """The least time ``requests`` may take under ``table``: the longer of the latency bound
    (``chain`` pages one after another) and the limit's (what the bucket's first fill does not
    cover, at its refill rate)."""
    amount, window = TABLES[table]
    amount *= scale
    limit = max(0.0, requests - amount) / (amount / window)
    return max(limit, h.latency_bound(chain, latency_ms))


def run_table(
    table: str,
    *,
    sign_ins: int,
    parallel: int,
    latency_ms: float,
    scale: float,
    repeats: int,
    paced: bool = True,
    margin: float = 0.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve the tenant under ``table`` and time both sides; their figures and bounds.

    ``paced``: the client paces by the same table (graph-magic's default on Graph's hosts);
    without it, it only honours each 429's Retry-After. ``margin``: the client paces at that
    fraction below the table (``limits: scale``), room for the jitter of its sends.
    """
    from graph_magic.connector.client import GraphConnector

    options = {
        "sign_ins": sign_ins,
        "latency_ms": latency_ms,
        "faults": {
            "throttle": True,
            "throttle_reports_table": table,
            "throttle_scale": scale,
        },
    }
    amount, window = TABLES[table]
    log(
        f"[windows] {table} table x{scale:g}: {amount * scale:g} requests per {window:g} s, "
        f"client {'paced' if paced else 'not paced'}{f' {margin:.0%} below it' if margin else ''}"
    )
    with h.ServedSandbox(options) as sandbox:
        token = sandbox.token()
        loop = h.Loop()
        system = h.graph_magic_system(
            sandbox.base_url,
            token,
            max_concurrent_requests=parallel,
            retry={"max_attempts": 10, "max_total_seconds": 900},
            limits={"pacing": paced, "reports_table": table, "scale": scale * (1 - margin)},
        )
        connector = GraphConnector(system)
        sides = {
            "sequential nextLink scan": h.counting_429s(
                sandbox, lambda: loop.run(_sequential(connector))
            ),
            f"--parallel {parallel} windows": h.counting_429s(
                sandbox, lambda: loop.run(_windowed(connector, parallel))
            ),
        }
        timings = h.alternate(sides, repeats, warmup=False, between=_refill(window + 1.0), log=log)
        loop.run(connector.close())
        loop.close()
    label = "" if paced and not margin else (", unpaced" if not paced else f", paced -{margin:.0%}")
    return _summary(table, timings, sign_ins, parallel, latency_ms, scale, label)


def _summary(
    table: str,
    timings: dict[str, h.Timing],
    sign_ins: int,
    parallel: int,
    latency_ms: float,
    scale: float,
    pacing: str,
) -> dict[str, Any]:
    sequential_pages = math.ceil(sign_ins / PAGE)
    label = f"{sign_ins:,} sign-ins, {table} x{scale:g}{pacing}"
    rows = []
    names = list(timings)
    for name, timing in timings.items():
        extras = timing.extras[-1] if timing.extras else {}
        requests = int(extras.get("requests", sequential_pages))
        windowed = name != names[0]
        chain = math.ceil(sequential_pages / parallel) + 1 if windowed else sequential_pages
        least = bound(sequential_pages, chain, table, scale, latency_ms)
        answered_429 = sum(e.get("429s", 0) for e in timing.extras)
        sent = sum(e.get("requests", 0) for e in timing.extras) or None
        rows.append(
            {
                "benchmark": label,
                "side": name,
                "median_s": timing.median,
                "bound_s": least,
                "this/bound": h.ratio(timing.median, least),
                "sequential/this": h.ratio(timings[names[0]].median, timing.median),
                "requests": requests,
                "429_share": None if not sent else answered_429 / sent,
                "error": timing.error,
            }
        )
    return {
        "table": table,
        "scale": scale,
        "pacing": pacing or "paced",
        "timings": {name: t.as_dict() for name, t in timings.items()},
        "rows": rows,
    }


def render(rows: list[dict[str, Any]]) -> str:
    """The figures as a table."""
    return h.table(
        ["benchmark", "side", "median", "bound", "this/bound", "seq/this", "requests", "429s"],
        [
            [
                r["benchmark"],
                r["side"],
                h.fmt_seconds(r["median_s"]),
                h.fmt_seconds(r["bound_s"]),
                h.fmt_ratio(r["this/bound"]),
                h.fmt_ratio(r["sequential/this"]),
                str(r["requests"]),
                "-" if r["429_share"] is None else f"{r['429_share']:.1%}",
            ]
            for r in rows
        ],
    )


SIZES = {
    "quick": {"sign_ins": 20_000, "repeats": 1},
    "full": {"sign_ins": 200_000, "repeats": 2},
}


def main(argv: list[str] | None = None) -> None:
    """Run both tables (or those named) and print the JSON figures and a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sign-ins", type=int)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--strict-scale", type=float, default=4.0)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--tables", default="legacy,current")
    parser.add_argument("--unpaced", action="store_true", help="only honour Retry-After")
    parser.add_argument("--pace-margin", type=float, default=0.0, help="pace this far below")
    args = parser.parse_args(argv)
    sizes = dict(SIZES["quick" if args.quick else "full"])
    for key in ("sign_ins", "repeats"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    results = {"machine": h.machine(), "load_before": h.load_average(), "tables": []}
    for table in args.tables.split(","):
        scale = args.strict_scale if table == "current" else 1.0
        results["tables"].append(
            run_table(
                table,
                parallel=args.parallel,
                latency_ms=args.latency_ms,
                scale=scale,
                paced=not args.unpaced,
                margin=args.pace_margin,
                **sizes,
            )
        )
    results["load_after"] = h.load_average()
    print(json.dumps(results, indent=2, default=str))
    print(render([row for part in results["tables"] for row in part["rows"]]))


if __name__ == "__main__":
    main()
