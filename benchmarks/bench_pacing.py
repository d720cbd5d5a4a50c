"""Comparison: a sign-in scan at Graph's documented limit for the reports, paced and unpaced.

The served sandbox enforces the identity and access reports' limit (``/auditLogs/signIns``:
the current table's 5 requests per 10 s per app and tenant, times ``--scale`` so that a run
takes about half a minute) and answers 429 with a whole-second Retry-After once the budget is
spent. Each side scans the same sign-ins on small pages (``$top=--top``), sequentially:

- graph-magic paced: ``limits: {pacing: true}`` with the same table and scale, so the client
  waits for its budget before each request instead of being told 429;
- graph-magic unpaced (``pacing: false``): retries after Retry-After, as before pacing;
- a hand-written httpx loop that sleeps Retry-After on 429 (bench_throttled's);
- msgraph-sdk's PageIterator, whose RetryHandler honours Retry-After.

The figures: time, the limit's bound (what the budget holds at the start is free, every
request after it comes at the refill rate), throughput as a fraction of the limit (bound over
time: 1.0 holds the limit exactly) and the 429s the server sent (its own counters). The budget
refills for a full window before every run, so each run starts from the same state.

Run: ``python benchmarks/bench_pacing.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from bench_throttled import _refiller, httpx_retry_loop

from graph_magic.knowledge.estimate import estimate_scan
from graph_magic.knowledge.limits import graph_limits

TABLE = "current"
PAGED = "graph-magic paced"


async def connector_sign_ins(connector: Any, top: int) -> dict:
    """graph-magic's script path: ``perform_action`` pages every sign-in, ``items_to_frame``."""
    from graph_magic.notebook.frames import items_to_frame

    config = {"method": "GET", "endpoint": "/auditLogs/signIns", "params": {"$top": top}}
    out = await connector.perform_action("signIn", "list", None, config)
    frame = items_to_frame(out["response"]["data"]["value"])
    return {"rows": len(frame), "pages": out["response"]["pages"]}


async def sdk_sign_ins(client: Any, adapter: Any, top: int) -> dict:
    """msgraph-sdk ``audit_logs.sign_ins.get`` + msgraph-core PageIterator, models to rows."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.audit_logs.sign_ins.sign_ins_request_builder import (
        SignInsRequestBuilder,
    )
    from msgraph_core.tasks.page_iterator import PageIterator

    query = SignInsRequestBuilder.SignInsRequestBuilderGetQueryParameters(top=top)
    first = await client.audit_logs.sign_ins.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    items: list[Any] = []
    iterator = PageIterator(first, adapter)
    await iterator.iterate(lambda item: items.append(item) or True)
    frame = pd.DataFrame([h.model_to_dict(item) for item in items])
    return {"rows": len(frame)}


async def _sdk_imports(client: Any) -> None:
    """One sign-in through the SDK, so its model imports are not timed (one request spent)."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.audit_logs.sign_ins.sign_ins_request_builder import (
        SignInsRequestBuilder,
    )

    query = SignInsRequestBuilder.SignInsRequestBuilderGetQueryParameters(top=1)
    await client.audit_logs.sign_ins.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )


def run(
    *,
    pages: int,
    top: int,
    scale: float,
    latency_ms: float,
    repeats: int,
    warmup: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve the limited tenant, time every side, return the figures (JSON-ready)."""
    from graph_magic.connector.client import GraphConnector

    options = {
        "sign_ins": pages * top,
        "latency_ms": latency_ms,
        "faults": {"throttle": True, "throttle_reports_table": TABLE, "throttle_scale": scale},
    }
    budget = graph_limits(reports_table=TABLE, scale=scale).first("reports")
    log(
        f"[pacing] {pages} pages of {top} sign-ins, limit {budget.amount:g} requests per "
        f"{budget.window:g} s (the {TABLE} table x {scale:g}), {latency_ms:g} ms latency"
    )
    with h.ServedSandbox(options) as sandbox:
        token = sandbox.token()
        loop = h.Loop()
        limits = {"reports_table": TABLE, "scale": scale}
        system = h.graph_magic_system(sandbox.base_url, token, retry={"max_attempts": 20})
        paced = GraphConnector({**system, "limits": {**limits, "pacing": True}})
        unpaced = GraphConnector({**system, "limits": {**limits, "pacing": False}})
        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
        sdk, adapter, sdk_http = h.msgraph_client(sandbox.base_url, token)
        first = f"{sandbox.base_url}/auditLogs/signIns?$top={top}"
        sides = {
            PAGED: lambda: loop.run(connector_sign_ins(paced, top)),
            "graph-magic unpaced (Retry-After only)": lambda: loop.run(
                connector_sign_ins(unpaced, top)
            ),
            "httpx loop sleeping Retry-After": lambda: loop.run(httpx_retry_loop(client, first)),
            "(b) msgraph-sdk PageIterator+RetryHandler": lambda: loop.run(
                sdk_sign_ins(sdk, adapter, top)
            ),
        }
        counted = {name: h.counting_429s(sandbox, side) for name, side in sides.items()}
        refill = _refiller()
        refill()  # marks it used: the budget refills before the first timed run too
        loop.run(_sdk_imports(sdk))  # the SDK's model imports, outside the timing
        timings = h.alternate(counted, repeats, warmup=warmup, between=refill, log=log)
        for closing in (paced.close(), unpaced.close(), client.aclose(), sdk_http.aclose()):
            loop.run(closing)
        loop.close()
    return _summarize(pages, top, scale, latency_ms, timings)


def _bound(pages: int, scale: float, latency_ms: float) -> float:
    """The least time the limit allows a scan of ``pages`` requests (latency aside)."""
    estimate = estimate_scan("reports", pages, graph_limits(reports_table=TABLE, scale=scale))
    return max(estimate.seconds or 0.0, h.latency_bound(pages, latency_ms))


def _summarize(
    pages: int, top: int, scale: float, latency_ms: float, timings: dict[str, h.Timing]
) -> dict[str, Any]:
    bound = _bound(pages, scale, latency_ms)
    rows = []
    for name, timing in timings.items():
        counts = [e.get("429s", 0) for e in timing.extras]
        requests = [e.get("requests", 0) for e in timing.extras]
        share = [f"{n / r:.1%}" if r else "-" for n, r in zip(counts, requests, strict=True)]
        rows.append(
            {
                "benchmark": f"sign-ins at the reports limit, {pages} pages",
                "side": name,
                "median_s": timing.median,
                "ratio": h.ratio(bound, timing.median),
                "vs": "bound/this",
                "bound_s": bound,
                "floor_s": None,
                "note": f"429s per run: {counts} ({', '.join(share)} of requests)",
                "error": timing.error,
            }
        )
    return {
        "params": {
            "pages": pages,
            "top": top,
            "table": TABLE,
            "scale": scale,
            "latency_ms": latency_ms,
        },
        "limit_bound_s": bound,
        "timings": {name: t.as_dict() for name, t in timings.items()},
        "rows": rows,
    }


SIZES = {
    "quick": {"pages": 40, "top": 10, "scale": 4.0, "repeats": 1},
    "full": {"pages": 80, "top": 10, "scale": 4.0, "repeats": 2},
}


def main(argv: list[str] | None = None) -> None:
    """Run the pacing comparison alone and print its JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pages", type=int)
    parser.add_argument("--scale", type=float)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    sizes = dict(SIZES["quick" if args.quick else "full"])
    for key in ("pages", "scale", "repeats"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    print(json.dumps(run(latency_ms=args.latency_ms, **sizes), indent=2, default=str))


if __name__ == "__main__":
    main()
