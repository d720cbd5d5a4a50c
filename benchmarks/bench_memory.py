"""Benchmark: memory of a sign-in frame, frames.items_to_frame against pandas.json_normalize.

Builds N sign-ins shaped as the sandbox serves them (``/auditLogs/signIns``: nested status,
location and deviceDetail, lists, repeated apps, users and places), turns them into a frame
both ways and reports each frame's deep ``memory_usage``, the ratio, and the dtype each side
chose per column. graph-magic's side types the columns as a ``%%graph`` cell does, with what
Graph's metadata says about ``signIn``. Before measuring, it checks that both frames hold the
same values. Run: ``python benchmarks/bench_memory.py [--sign-ins N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_frames import check_same

from graph_magic.knowledge import Knowledge
from graph_magic.notebook.column_types import metadata_kinds
from graph_magic.notebook.frames import items_to_frame
from graph_magic.sandbox.tenant.generate_logs import make_sign_ins


def make_items(count: int, users: int = 2_000, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` sandbox sign-ins by ``users`` users (Graph's shape, the sandbox's generator)."""
    people = [
        {
            "id": f"{i:08x}-1111-4000-8000-{i:012x}",
            "displayName": f"User {i:05d}",
            "userPrincipalName": f"user{i:05d}@contoso.com",
        }
        for i in range(users)
    ]
    return make_sign_ins(seed, count, people)


def run(sign_ins: int) -> dict[str, Any]:
    """Both frames' memory, their ratio and dtypes, and how long each took to build."""
    items = make_items(sign_ins)
    knowledge = Knowledge.for_cloud("global")
    kinds = metadata_kinds(knowledge, knowledge.resolve("/auditLogs/signIns").type)
    gc.collect()
    started = time.perf_counter()
    ours = items_to_frame(items, kinds=kinds)
    ours_s = time.perf_counter() - started
    gc.collect()
    started = time.perf_counter()
    theirs = pd.json_normalize(items)
    theirs_s = time.perf_counter() - started
    check_same(ours, theirs)
    ours_bytes = int(ours.memory_usage(deep=True).sum())
    theirs_bytes = int(theirs.memory_usage(deep=True).sum())
    return {
        "sign_ins": sign_ins,
        "columns": len(ours.columns),
        "ours_bytes": ours_bytes,
        "json_normalize_bytes": theirs_bytes,
        "ratio": round(ours_bytes / theirs_bytes, 3),
        "ours_build_s": round(ours_s, 3),
        "json_normalize_build_s": round(theirs_s, 3),
        "dtypes": {name: [str(ours[name].dtype), str(theirs[name].dtype)] for name in ours.columns},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    found = run(args.sign_ins)
    if args.json:
        print(json.dumps(found))
        return
    print(f"{found['sign_ins']:,} sign-ins, {found['columns']} columns, pandas {pd.__version__}")
    print(f"  items_to_frame   {found['ours_bytes'] / 2**20:9.1f} MiB")
    print(f"  json_normalize   {found['json_normalize_bytes'] / 2**20:9.1f} MiB")
    print(f"  memory ratio items_to_frame / json_normalize: {found['ratio']:.2f}")
    print(
        f"  build: items_to_frame {found['ours_build_s']:.2f} s, json_normalize "
        f"{found['json_normalize_build_s']:.2f} s"
    )
    print("  dtypes (items_to_frame | json_normalize):")
    for name, (mine, theirs) in found["dtypes"].items():
        print(f"    {name:42s} {mine:22s} | {theirs}")
    print("same values: yes")


if __name__ == "__main__":
    main()
