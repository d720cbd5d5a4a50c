"""Comparison 3: the full scan under the sandbox's token-bucket throttle, against Microsoft's SDK.

The sandbox charges every request Graph's documented identity cost (``GET /users`` 2 resource
units) against a token bucket per app and answers 429 with Retry-After (whole seconds, Graph's
usual form) once it is empty. Graph's smallest tenant budget (3,500 units per 10 s) is far more
than one scan costs, so the bucket here is scaled down (``--units-per-10s``) until the scan
crosses it: the figures show how each client rides the limit (total time and 429s), not
Graph's absolute throughput. The bucket is left to refill for a full window before every run,
so each run starts from the same state.

Two parts:

- the full scan (``--users``, ``$top=--top``): graph-magic ``perform_action`` + frame against a
  hand-written httpx loop that sleeps for Retry-After on 429 (the least a loop must do);
- the same bucket on ``--sdk-pages`` small pages (``$top=--sdk-top``), enough to cross it:
  graph-magic against msgraph-sdk's PageIterator (its RetryHandler honours Retry-After), since
  the SDK's model parsing is too slow for the full scan (see bench_scan).

The 429 counts are the server's own (its fault counters), per run.

Run: ``python benchmarks/bench_throttled.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from bench_scan import connector_scan, sdk_scan

WINDOW_S = 10.0
COST_PER_PAGE = 2  # GET /users, no $select, $top >= 20 (Graph's documented cost)


async def httpx_retry_loop(
    client: httpx.AsyncClient, first: str, max_pages: int | None = None
) -> dict:
    """The hand-written loop, made throttle-safe: sleep Retry-After seconds on a 429."""
    items: list[dict] = []
    url: str | None = first
    pages = 0
    while url and (max_pages is None or pages < max_pages):
        response = await client.get(url)
        if response.status_code == 429:
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        data = json.loads(response.content)
        items.extend(data["value"])
        pages += 1
        url = data.get("@odata.nextLink")
    frame = pd.json_normalize(items)
    return {"rows": len(frame), "pages": pages}


def _refiller() -> Callable[[], None]:
    """Before each run, wait a full window so the bucket is full again (not before the first)."""
    used = [False]

    def refill() -> None:
        if used[0]:
            time.sleep(WINDOW_S + 0.5)
        used[0] = True

    return refill


def run(
    *,
    users: int,
    top: int,
    units_per_10s: int,
    latency_ms: float,
    repeats: int,
    sdk_top: int,
    sdk_pages: int,
    warmup: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve the throttled tenant, time both parts, return the figures (JSON-ready)."""
    from graph_magic.connector.client import GraphConnector

    options = {
        "users": users,
        "latency_ms": latency_ms,
        "faults": {"throttle": True, "throttle_units_per_10s": units_per_10s},
    }
    log(
        f"[throttled] {users:,} users, $top={top}, bucket {units_per_10s} RU per 10 s, "
        f"{latency_ms:g} ms latency"
    )
    with h.ServedSandbox(options) as sandbox:
        token = sandbox.token()
        loop = h.Loop()
        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
        connector = GraphConnector(h.graph_magic_system(sandbox.base_url, token))
        first = f"{sandbox.base_url}/users?$top={top}"
        sides = {
            "graph-magic perform_action+frame": h.counting_429s(
                sandbox, lambda: loop.run(connector_scan(connector, top))
            ),
            "httpx loop sleeping Retry-After": h.counting_429s(
                sandbox, lambda: loop.run(httpx_retry_loop(client, first))
            ),
        }
        refill = _refiller()
        full = h.alternate(sides, repeats, warmup=warmup, between=refill, log=log)

        log(f"[throttled] msgraph-sdk part: {sdk_pages} pages of $top={sdk_top}, same bucket")
        limit = sdk_top * sdk_pages
        sdk, adapter, sdk_http = h.msgraph_client(sandbox.base_url, token)
        loop.run(sdk_scan(sdk, adapter, 1, 1))  # the SDK's model imports, outside the timing
        subset_sides = {
            "graph-magic perform_action+frame": h.counting_429s(
                sandbox, lambda: loop.run(connector_scan(connector, sdk_top, limit))
            ),
            "(b) msgraph-sdk PageIterator+models": h.counting_429s(
                sandbox, lambda: loop.run(sdk_scan(sdk, adapter, sdk_top, limit))
            ),
        }
        subset = h.alternate(subset_sides, repeats, warmup=warmup, between=refill, log=log)
        loop.run(connector.close())
        loop.run(client.aclose())
        loop.run(sdk_http.aclose())
        loop.close()
    return _summarize(users, top, units_per_10s, latency_ms, full, subset, sdk_top, sdk_pages)


def _unthrottled_bound(pages: int, units_per_10s: int, latency_ms: float) -> float:
    """The least time the bucket allows: what it holds at the start is free, the rest comes at
    its refill rate; never less than the pages' latency."""
    cost = pages * COST_PER_PAGE
    refill_wait = max(0.0, cost - units_per_10s) / (units_per_10s / WINDOW_S)
    return max(refill_wait, h.latency_bound(pages, latency_ms))


def _summarize(
    users: int,
    top: int,
    units: int,
    latency_ms: float,
    full: dict[str, h.Timing],
    subset: dict[str, h.Timing],
    sdk_top: int,
    sdk_pages: int,
) -> dict[str, Any]:
    pages = math.ceil(users / top)
    rows = []
    parts = (
        (f"throttled scan {users:,} users", full, pages, "httpx loop sleeping Retry-After"),
        (
            f"throttled scan {sdk_pages}x{sdk_top} users",
            subset,
            sdk_pages,
            "(b) msgraph-sdk PageIterator+models",
        ),
    )
    for label, timings, n_pages, other in parts:
        bound = _unthrottled_bound(n_pages, units, latency_ms)
        ours = timings["graph-magic perform_action+frame"].median
        for name, timing in timings.items():
            counts = [e.get("429s", 0) for e in timing.extras]
            rows.append(
                {
                    "benchmark": label,
                    "side": name,
                    "median_s": timing.median,
                    "ratio": None if name == other else h.ratio(timings[other].median, ours),
                    "vs": "SDK/this" if "sdk" in other else "httpx/this",
                    "bound_s": bound,
                    "floor_s": None,
                    "note": f"429s per run: {counts}",
                    "error": timing.error,
                }
            )
    return {
        "params": {
            "users": users,
            "top": top,
            "units_per_10s": units,
            "cost_per_page_ru": COST_PER_PAGE,
            "latency_ms": latency_ms,
            "sdk_top": sdk_top,
            "sdk_pages": sdk_pages,
        },
        "bucket_bound_s": _unthrottled_bound(pages, units, latency_ms),
        "full": {name: t.as_dict() for name, t in full.items()},
        "subset": {name: t.as_dict() for name, t in subset.items()},
        "rows": rows,
    }


SIZES = {
    "quick": {
        "users": 1000,
        "top": 100,
        "units_per_10s": 16,
        "repeats": 1,
        "sdk_top": 20,
        "sdk_pages": 10,
        "warmup": False,
    },
    "full": {
        "users": 100_000,
        "top": 999,
        "units_per_10s": 100,
        "repeats": 2,
        "sdk_top": 20,
        "sdk_pages": 60,
        "warmup": False,
    },
}


def main(argv: list[str] | None = None) -> None:
    """Run the throttled comparison alone and print its JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int)
    parser.add_argument("--units-per-10s", type=int)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    sizes = dict(SIZES["quick" if args.quick else "full"])
    for key in ("users", "units_per_10s", "repeats"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    print(json.dumps(run(latency_ms=args.latency_ms, **sizes), indent=2, default=str))


if __name__ == "__main__":
    main()
