"""Comparison 1: a full scan of /users into a DataFrame, graph-magic against the alternatives.

The served sandbox holds ``--users`` users and waits ``--latency-ms`` per request. Sides, run
alternately:

- bare fetch: follows nextLinks without parsing (finds the link in the bytes): what the server
  and the loopback cost, the floor no client can beat;
- (a) a hand-written httpx loop, ``json.loads`` per page, ``pandas.json_normalize`` at the end;
- graph-magic ``perform_action`` (auto-pagination) then ``frames.items_to_frame``;
- graph-magic ``%%graph -o users`` in a real IPython InteractiveShell.

(b) msgraph-sdk with msgraph-core's PageIterator deserializes every user into a Kiota model,
which costs seconds per 999-user page, so a 100,000-user scan would take many minutes per run.
It is compared on the first ``--sdk-pages`` pages of ``$top=--sdk-top`` instead, against
graph-magic and (a) on exactly the same pages, and its 100,000-user time is projected from its
measured time per user (labelled as a projection). ``--sdk-full`` also times one full SDK scan.

Run: ``python benchmarks/bench_scan.py [--quick] [--users N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

PAGE = 999
_NEXT = b'"@odata.nextLink":"'


# ---------------------------------------------------------------------------- the sides


async def bare_fetch(client: httpx.AsyncClient, first: str, max_pages: int | None = None) -> dict:
    """Follow nextLinks without parsing JSON: the serving + loopback floor."""
    url: str | None = first
    pages = 0
    while url and (max_pages is None or pages < max_pages):
        response = await client.get(url)
        response.raise_for_status()
        pages += 1
        content = response.content
        start = content.find(_NEXT)
        url = None
        if start >= 0:
            start += len(_NEXT)
            url = content[start : content.index(b'"', start)].decode().replace("\\/", "/")
    return {"pages": pages}


async def httpx_loop(client: httpx.AsyncClient, first: str, max_pages: int | None = None) -> dict:
    """(a): the loop a user writes by hand, then ``pandas.json_normalize``."""
    items: list[dict] = []
    url: str | None = first
    pages = 0
    while url and (max_pages is None or pages < max_pages):
        response = await client.get(url)
        response.raise_for_status()
        data = json.loads(response.content)
        items.extend(data["value"])
        pages += 1
        url = data.get("@odata.nextLink")
    frame = pd.json_normalize(items)
    return {"rows": len(frame), "cols": frame.shape[1], "pages": pages}


async def connector_scan(connector: Any, top: int, max_items: int | None = None) -> dict:
    """graph-magic's script path: ``perform_action`` auto-paginates, ``items_to_frame``."""
    from graph_magic.notebook.frames import items_to_frame

    config: dict[str, Any] = {"method": "GET", "endpoint": "/users", "params": {"$top": top}}
    if max_items is not None:
        config["max_items"] = max_items
    out = await connector.perform_action("user", "list", None, config)
    frame = items_to_frame(out["response"]["data"]["value"])
    return {"rows": len(frame), "cols": frame.shape[1], "pages": out["response"]["pages"]}


def magic_scan(shell: h.MagicShell, top: int) -> dict:
    """graph-magic's notebook path: a ``%%graph -o`` cell in a real InteractiveShell."""
    shell.user_ns.pop("users", None)
    shell.run_cell(f"%%graph -o users --quiet\nGET /users?$top={top}\n")
    frame = shell.user_ns["users"]
    return {"rows": len(frame), "cols": frame.shape[1]}


async def sdk_scan(client: Any, adapter: Any, top: int, max_items: int | None = None) -> dict:
    """(b): msgraph-sdk ``users.get`` + msgraph-core PageIterator, models to a DataFrame."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph_core.tasks.page_iterator import PageIterator

    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=top)
    first = await client.users.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    users: list[Any] = []

    def keep(user: Any) -> bool:
        users.append(user)
        return max_items is None or len(users) < max_items

    iterator = PageIterator(first, adapter)
    await iterator.iterate(keep)
    frame = pd.DataFrame([h.model_to_dict(u) for u in users])
    return {"rows": len(frame), "cols": frame.shape[1]}


# ---------------------------------------------------------------------------- the benchmark


def run(
    *,
    users: int,
    latency_ms: float,
    repeats: int,
    sdk_top: int,
    sdk_pages: int,
    sdk_repeats: int,
    sdk_full: bool = False,
    magic: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve the tenant, run both comparisons, return the figures (JSON-ready)."""
    from graph_magic.connector.client import GraphConnector

    log(f"[scan] serving {users:,} users, {latency_ms:g} ms latency")
    with h.ServedSandbox({"users": users, "latency_ms": latency_ms}) as sandbox:
        token = sandbox.token()
        loop = h.Loop()
        headers = {"Authorization": f"Bearer {token}"}
        client = httpx.AsyncClient(headers=headers, timeout=120)
        connector = GraphConnector(h.graph_magic_system(sandbox.base_url, token))
        first = f"{sandbox.base_url}/users?$top={PAGE}"
        pages = math.ceil(users / PAGE)
        sides: dict[str, h.Side] = {
            "bare fetch (floor)": lambda: loop.run(bare_fetch(client, first)),
            "(a) httpx+json.loads+json_normalize": lambda: loop.run(httpx_loop(client, first)),
            "graph-magic perform_action+frame": lambda: loop.run(connector_scan(connector, PAGE)),
        }
        shell = None
        if magic:
            try:
                shell = h.MagicShell(sandbox.base_url, token)
                sides["graph-magic %%graph -o"] = lambda: magic_scan(shell, PAGE)
            except Exception as exc:  # the magic may not be loadable yet
                log(f"    %%graph side skipped: {type(exc).__name__}: {exc}")
        before = sandbox.counters()
        full = h.alternate(sides, repeats, log=log)
        served = h.counter_delta(before, sandbox.counters())

        log(f"[scan] msgraph-sdk subset: {sdk_pages} page(s) of $top={sdk_top}")
        limit = sdk_top * sdk_pages
        sub_first = f"{sandbox.base_url}/users?$top={sdk_top}"
        sdk, adapter, sdk_http = h.msgraph_client(sandbox.base_url, token)
        subset_sides: dict[str, h.Side] = {
            "bare fetch (floor)": lambda: loop.run(bare_fetch(client, sub_first, sdk_pages)),
            "(a) httpx+json.loads+json_normalize": lambda: loop.run(
                httpx_loop(client, sub_first, sdk_pages)
            ),
            "graph-magic perform_action+frame": lambda: loop.run(
                connector_scan(connector, sdk_top, limit)
            ),
            "(b) msgraph-sdk PageIterator+models": lambda: loop.run(
                sdk_scan(sdk, adapter, sdk_top, limit)
            ),
        }
        subset = h.alternate(subset_sides, sdk_repeats, log=log)
        sdk_full_timing = None
        if sdk_full:
            log("[scan] msgraph-sdk full scan (one run)")
            sdk_full_timing = h.alternate(
                {"(b) msgraph-sdk full": lambda: loop.run(sdk_scan(sdk, adapter, PAGE))},
                1,
                warmup=False,
                log=log,
            )["(b) msgraph-sdk full"]
        loop.run(connector.close())
        loop.run(client.aclose())
        loop.run(sdk_http.aclose())
        loop.close()
        if shell is not None:
            shell.close()
    return _summarize(
        users, latency_ms, pages, full, served, subset, sdk_top, sdk_pages, sdk_full_timing
    )


def _summarize(
    users: int,
    latency_ms: float,
    pages: int,
    full: dict[str, h.Timing],
    served: dict[str, Any],
    subset: dict[str, h.Timing],
    sdk_top: int,
    sdk_pages: int,
    sdk_full: h.Timing | None,
) -> dict[str, Any]:
    bound = h.latency_bound(pages, latency_ms)
    floor = full["bare fetch (floor)"].median
    ref = full["(a) httpx+json.loads+json_normalize"].median
    rows: list[dict[str, Any]] = []
    label = f"scan {users:,} users"
    for name, timing in full.items():
        rows.append(
            {
                "benchmark": label,
                "side": name,
                "median_s": timing.median,
                "ratio": h.ratio(timing.median, ref) if not name.startswith("(a)") else None,
                "vs": "this/(a)",
                "bound_s": bound,
                "floor_s": floor,
                "error": timing.error,
            }
        )
    sub_label = f"scan {sdk_pages}x{sdk_top} users"
    sub_bound = h.latency_bound(sdk_pages, latency_ms)
    sub_floor = subset["bare fetch (floor)"].median
    sdk_median = subset["(b) msgraph-sdk PageIterator+models"].median
    for name, timing in subset.items():
        rows.append(
            {
                "benchmark": sub_label,
                "side": name,
                "median_s": timing.median,
                "ratio": h.ratio(sdk_median, timing.median) if not name.startswith("(b)") else None,
                "vs": "SDK/this",
                "bound_s": sub_bound,
                "floor_s": sub_floor,
                "error": timing.error,
            }
        )
    projected = None
    if sdk_median:
        projected = sdk_median / (sdk_top * sdk_pages) * users
        ours = full["graph-magic perform_action+frame"].median
        rows.append(
            {
                "benchmark": label,
                "side": "(b) msgraph-sdk, PROJECTED from subset",
                "median_s": projected,
                "ratio": h.ratio(projected, ours),
                "vs": "SDK/perform_action",
                "bound_s": bound,
                "floor_s": floor,
                "error": None,
            }
        )
    if sdk_full is not None:
        rows.append(
            {
                "benchmark": label,
                "side": "(b) msgraph-sdk full scan, 1 run",
                "median_s": sdk_full.median,
                "ratio": h.ratio(sdk_full.median, full["graph-magic perform_action+frame"].median),
                "vs": "SDK/perform_action",
                "bound_s": bound,
                "floor_s": floor,
                "error": sdk_full.error,
            }
        )
    return {
        "params": {
            "users": users,
            "page_size": PAGE,
            "pages": pages,
            "latency_ms": latency_ms,
            "sdk_top": sdk_top,
            "sdk_pages": sdk_pages,
        },
        "latency_bound_s": bound,
        "sandbox_floor_s": floor,
        "sandbox_serving_ms_per_page": (
            None if floor is None else round((floor - bound) / pages * 1000, 2)
        ),
        "served": served,
        "full": {name: t.as_dict() for name, t in full.items()},
        "subset": {name: t.as_dict() for name, t in subset.items()},
        "sdk_projected_s": projected,
        "sdk_full": None if sdk_full is None else sdk_full.as_dict(),
        "rows": rows,
    }


SIZES = {
    "quick": {"users": 5000, "repeats": 2, "sdk_top": 100, "sdk_pages": 2, "sdk_repeats": 1},
    "full": {"users": 100_000, "repeats": 5, "sdk_top": 999, "sdk_pages": 2, "sdk_repeats": 2},
}


def main(argv: list[str] | None = None) -> None:
    """Run the scan comparison alone and print its JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--sdk-top", type=int)
    parser.add_argument("--sdk-pages", type=int)
    parser.add_argument("--sdk-full", action="store_true")
    args = parser.parse_args(argv)
    sizes = dict(SIZES["quick" if args.quick else "full"])
    for key in ("users", "repeats", "sdk_top", "sdk_pages"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    result = run(latency_ms=args.latency_ms, sdk_full=args.sdk_full, **sizes)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
