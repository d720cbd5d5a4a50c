"""Benchmark: --csv and --parquet export memory and time, side by side, over sign-in pages.

Each size and format runs in a fresh subprocess that generates Graph-shaped sign-ins lazily,
page by page (999 items, the sign-in log's page size), and writes them through ``CsvExporter``
or ``ParquetExporter`` (which also types every column); it reports
wall time, the resident-set peak from ``resource.getrusage`` and the peak right after the
imports, so the growth attributable to the export shows. A property first appears on page 7,
as Graph's optional properties do, which forces the one streaming rewrite at close.
Run: ``python benchmarks/bench_csv.py [--sizes 200000 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = 999


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sign_in(n: int) -> dict[str, Any]:
    """One sign-in with the nesting and lists of Graph's signIn resource."""
    page = n // PAGE
    item: dict[str, Any] = {
        "id": f"{n:08x}-5e1f-4a8c-9b3e-{n:012x}",
        "createdDateTime": f"2026-11-{n % 28 + 1:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "userDisplayName": f"User {n % 5000}",
        "userPrincipalName": f"user{n % 5000}@contoso.com",
        "userId": f"{n % 5000:08x}-0000-4000-8000-000000000000",
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": ["Graph Explorer", "Office 365", "Azure Portal"][n % 3],
        "ipAddress": f"10.{n % 256}.{n // 256 % 256}.{n % 7}",
        "clientAppUsed": "Browser",
        "correlationId": f"c{n:015d}",
        "conditionalAccessStatus": "notApplied",
        "isInteractive": n % 2 == 0,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskEventTypes_v2": [],
        "status": {
            "errorCode": 0 if n % 10 else 50126,
            "failureReason": None if n % 10 else "Invalid username or password.",
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": "",
            "displayName": None,
            "operatingSystem": "Windows 10",
            "browser": "Edge 120.0",
            "isCompliant": False,
            "isManaged": False,
            "trustType": None,
        },
        "location": {
            "city": "Redmond",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"altitude": None, "latitude": 47.68, "longitude": -122.12},
        },
        "appliedConditionalAccessPolicies": [
            {"id": "p1", "displayName": "MFA for admins", "result": "notApplied"}
        ],
    }
    if page >= 6:
        item["authenticationRequirement"] = "singleFactorAuthentication"
    return item


def pages(total: int) -> Iterator[list[dict[str, Any]]]:
    """Pages of ``PAGE`` sign-ins, generated lazily so only one page is ever alive."""
    for start in range(0, total, PAGE):
        yield [sign_in(n) for n in range(start, min(start + PAGE, total))]


EXPORTERS = ("CsvExporter", "ParquetExporter")


def child(total: int, kind: str = "CsvExporter") -> dict[str, Any]:
    """Export ``total`` sign-ins in this process with exporter ``kind`` and measure it."""
    sys.path.insert(0, str(ROOT))
    from graph_magic.notebook.csv_export import CsvExporter
    from graph_magic.notebook.parquet_export import ParquetExporter

    exporter_class = {"CsvExporter": CsvExporter, "ParquetExporter": ParquetExporter}[kind]
    baseline = _peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"signins.{'csv' if kind == 'CsvExporter' else 'parquet'}"
        start = time.perf_counter()
        exporter = exporter_class(target)
        for page in pages(total):
            exporter.write_items(page)
        rows = exporter.close()
        wall = time.perf_counter() - start
        size = target.stat().st_size
    return {
        "rows": rows,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(_peak_mb(), 1),
        "baseline_rss_mb": round(baseline, 1),
        "file_mb": round(size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=EXPORTERS, default="CsvExporter", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.kind)))
        return
    print(f"--csv and --parquet, pages of {PAGE}, one fresh process each (pid {os.getpid()})")
    for size in args.sizes:
        seen = {}
        for kind in EXPORTERS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(size), "--kind", kind],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = seen[kind] = json.loads(out.stdout)
            print(
                f"  {kind:<15} {figures['rows']:>9,} rows: {figures['wall_s']:7.2f} s wall, "
                f"peak RSS {figures['peak_rss_mb']:.1f} MB "
                f"(after imports {figures['baseline_rss_mb']:.1f} MB), "
                f"file {figures['file_mb']:.1f} MB"
            )
        csv, parquet = seen["CsvExporter"], seen["ParquetExporter"]
        print(
            f"  parquet/csv at {size:,}: time {parquet['wall_s'] / csv['wall_s']:.2f}x, "
            f"file {parquet['file_mb'] / csv['file_mb']:.2f}x"
        )


if __name__ == "__main__":
    main()
