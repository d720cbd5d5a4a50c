"""Benchmark: Graph users to a DataFrame, frames.items_to_frame against pandas.json_normalize.

Builds 100,000 synthetic user objects shaped like Graph's (scalars, lists, nested objects two
levels deep, an expanded manager), then times both converters alternately over several runs and
reports the medians and their ratio, after checking the two frames hold the same columns and
values. Run: ``python benchmarks/bench_frames.py [--users N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph_magic.notebook.frames import items_to_frame

_DEPARTMENTS = ["Sales", "Finance", "Engineering", "Legal", "Marketing", None]
_CITIES = ["Seattle", "Redmond", "London", "Paris", "Tokyo"]


def make_users(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Synthetic users with Graph's shapes: nested objects, lists, nulls, sparse properties."""
    rng = random.Random(seed)
    users = []
    for i in range(count):
        name = f"User {i:06d}"
        user: dict[str, Any] = {
            "id": f"{i:08x}-0000-4000-8000-{i:012x}",
            "displayName": name,
            "givenName": "User",
            "surname": f"{i:06d}",
            "userPrincipalName": f"user{i}@contoso.com",
            "mail": f"user{i}@contoso.com" if rng.random() > 0.1 else None,
            "jobTitle": rng.choice(["Engineer", "Manager", "Analyst", None]),
            "department": rng.choice(_DEPARTMENTS),
            "accountEnabled": rng.random() > 0.05,
            "usageLocation": rng.choice(["US", "GB", "FR", "JP"]),
            "createdDateTime": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00Z",
            "businessPhones": [f"+1 425 555 {i % 10000:04d}"] if rng.random() > 0.3 else [],
            "proxyAddresses": [f"SMTP:user{i}@contoso.com", f"smtp:u{i}@contoso.com"],
            "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
            "employeeOrgData": {"division": rng.choice(["A", "B"]), "costCenter": str(i % 97)},
            "onPremisesExtensionAttributes": {
                f"extensionAttribute{n}": (f"v{n}" if rng.random() > 0.7 else None)
                for n in range(1, 16)
            },
            "signInActivity": {
                "lastSignInDateTime": "2026-11-01T10:00:00Z",
                "lastSignInRequestId": f"req-{i}",
                "lastNonInteractiveSignInDateTime": None,
            },
            "manager": {
                "id": f"mgr-{i % 500}",
                "displayName": f"Manager {i % 500}",
                "officeLocation": {"city": rng.choice(_CITIES), "building": i % 40},
            },
        }
        if rng.random() > 0.8:
            user["employeeHireDate"] = "2020-01-01T00:00:00Z"
        users.append(user)
    return users


def _time(fn: Any) -> tuple[float, float]:
    """Wall and CPU seconds of one call (CPU time is steadier on a shared machine)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def check_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same columns; per column the same missing cells and values.

    Ours are typed (``column_types``): timestamps are compared with json_normalize's ISO
    strings parsed, categories and Arrow strings by their values.
    """
    if sorted(ours.columns) != sorted(theirs.columns):
        raise AssertionError(f"columns differ: {set(ours.columns) ^ set(theirs.columns)}")
    for name in ours.columns:
        mine, plain = ours[name], theirs[name]
        if isinstance(mine.dtype, pd.DatetimeTZDtype):
            plain = pd.to_datetime(plain, utc=True, format="ISO8601")
        if mine.isna().tolist() != plain.isna().tolist():
            raise AssertionError(f"missing cells differ in column {name!r}")
        if mine.dropna().tolist() != plain.dropna().tolist():
            raise AssertionError(f"values differ in column {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    users = make_users(args.users)
    depth = 2
    contenders = {
        "items_to_frame(flatten_depth=2)": lambda: items_to_frame(users, flatten_depth=depth),
        "json_normalize(max_level=2)": lambda: pd.json_normalize(users, max_level=depth),
        "json_normalize()": lambda: pd.json_normalize(users),
    }
    ours = items_to_frame(users, flatten_depth=depth)
    check_same(ours, pd.json_normalize(users, max_level=depth))
    check_same(ours, pd.json_normalize(users))
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, fn in contenders.items():
            elapsed, used = _time(fn)
            wall[name].append(elapsed)
            cpu[name].append(used)
    print(f"{args.users:,} users, {len(ours.columns)} columns, {args.runs} alternating runs")
    print(f"pandas {pd.__version__}, python {sys.version.split()[0]}")
    for label, times in (("wall", wall), ("cpu", cpu)):
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, value in medians.items():
            runs = ", ".join(f"{t:.3f}" for t in times[name])
            print(f"  {label} {name:34s} median {value:7.3f} s  (runs: {runs})")
        ours_median = medians["items_to_frame(flatten_depth=2)"]
        for name in ("json_normalize(max_level=2)", "json_normalize()"):
            print(f"  {label} ratio items_to_frame / {name}: {ours_median / medians[name]:.2f}")
    print("same columns and values: yes")


if __name__ == "__main__":
    main()
