"""Run graph-magic's reliability scenarios at report size and print the README's figures table.

    python scripts/reliability_report.py                 # report size (about a minute)
    python scripts/reliability_report.py --quick         # the test suite's sizes
    python scripts/reliability_report.py --readme docs/reliability.md  # the table into the docs
    python scripts/reliability_report.py --markdown table.md --json figures.json

The scenarios are the ones ``tests/reliability/`` asserts on (same code, larger numbers): paging
under throttling and 5xx in each Retry-After form, in-process and served with dropped
connections; tokens expiring mid-scan; a large $batch with item 429s; exhausted retry budgets;
writes whose answers are lost; concurrent load; and the security checks (foreign hosts, logs,
hostile interpolation values, fuzzing). A second table runs every hostile family of
``tests/reliability/hostile_families.py`` (malformed pages, redirects, size caps, drip servers,
$batch envelopes, token refresh waves, system YAML, config errors, secrets in logs, cell headers,
CSV formulas): cases tried, cases as promised, items kept, requests sent, time taken.
Everything runs offline against the sandbox tenant or fake servers on httpx's in-process
transport; no Retry-After is slept (the connector's sleep is a recorder); only the drip servers
wait for real, a fraction of a second per case. Exits 1 if any scenario or case failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.reliability import reliability_faults as faults  # noqa: E402
from tests.reliability import reliability_kit as kit  # noqa: E402
from tests.reliability import reliability_security as security  # noqa: E402
from tests.reliability.hostile_families import family_rows  # noqa: E402
from tests.reliability.hostile_kit import family_table  # noqa: E402
from tests.reliability.reliability_fuzz import fuzz  # noqa: E402

START = "<!-- reliability-table:start -->"
END = "<!-- reliability-table:end -->"
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"pages": 52, "token_pages": 50, "batch": 200, "writes": 10, "calls": 200,
                "hostile": 1000, "fuzz": 300}  # fmt: skip
    return {"pages": 150, "token_pages": 300, "batch": 1000, "writes": 50, "calls": 1000,
            "hostile": 5000, "fuzz": 2000}  # fmt: skip


def _scenarios(size: dict[str, int]) -> list[Callable[[], Awaitable[kit.Outcome]]]:
    pages = size["pages"]
    runs: list[Callable[[], Awaitable[kit.Outcome]]] = [
        (lambda form=form: faults.delta_scan(pages, form=form)) for form in kit.RETRY_AFTER_FORMS
    ]
    runs += [
        lambda: faults.delta_scan(pages, form="seconds", served_mode=True, drops=0.1),
        lambda: faults.delta_scan(pages, form="http-date", served_mode=True),
        lambda: faults.throttled_scan(size["pages"]),
        lambda: faults.token_expiry_scan(size["token_pages"]),
        lambda: faults.token_expiry_scan(size["token_pages"], client_clock_stopped=True),
        lambda: faults.batch_with_throttling(size["batch"], rate=0.3, writes=size["writes"]),
        lambda: faults.batch_envelope_lost(size["writes"]),
        lambda: faults.exhausted_budget(5, kind="attempts"),
        lambda: faults.exhausted_budget(5, kind="seconds"),
        lambda: faults.exhausted_budget(5, kind="drops"),
        lambda: faults.no_double_writes(size["writes"], mode="5xx"),
        lambda: faults.no_double_writes(size["writes"], mode="timeout"),
        lambda: faults.concurrent_load(size["calls"], bound=4),
        lambda: faults.concurrent_load(size["calls"], bound=4, faulty=True),
        security.foreign_hosts,
        security.log_scan,
        lambda: security.interpolation(size["hostile"]),
    ]
    return runs


def _magic_row() -> kit.Figures:
    """The magic's outputs and logs, scanned (a real InteractiveShell, in a scratch dir)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        planted = security.write_magic_systems(Path(tmp) / "systems")
        os.environ["GRAPH_MAGIC_SYSTEMS"] = str(Path(tmp) / "systems")
        os.chdir(tmp)
        shell.extension_manager.load_extension("graph_magic")
        try:
            return security.magic_scan(shell, planted).figures
        finally:
            shell.extension_manager.unload_extension("graph_magic")
            os.chdir(here)
            del os.environ["GRAPH_MAGIC_SYSTEMS"]


def _notebook_row() -> kit.Figures:
    """Execute every notebook afresh and scan code and outputs for tokens and secrets."""
    import nbclient
    import nbformat

    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    texts: list[str] = []
    cells = errors = 0
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(
            notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}}
        )
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError:
            errors += 1
        for cell in notebook.cells:
            cells += 1
            if cell.cell_type == "code":
                texts.append(cell.source)
            for output in cell.get("outputs", []):
                texts.append(json.dumps(output))
    hits = sum(len(JWT.findall(text)) for text in texts)
    hits += sum(text.count(secret) for text in texts for secret in kit.SANDBOX_SECRETS)
    return kit.Figures(
        f"{len(paths)} notebooks executed, outputs scanned",
        expected=len(paths),
        received=len(paths) - errors,
        leaks=hits,
        ok=hits == 0 and errors == 0,
        note=f"{cells} cells; {errors} notebooks stopped on an error",
    )


def _fuzz_rows(examples: int) -> list[kit.Figures]:
    rows = []
    try:
        counts = fuzz(examples)
    except AssertionError as exc:  # hypothesis has shrunk it: the message names the input
        return [kit.Figures("fuzzing (cell grammar, system YAML)", ok=False, note=str(exc)[:200])]
    for name, label, good in (
        ("cell", "fuzzing the cell grammar", "parsed"),
        ("system", "fuzzing system YAML", "loaded"),
    ):
        seen = counts[name]
        total = sum(seen.values())
        rows.append(
            kit.Figures(
                label,
                expected=total,
                received=total,
                note=f"{seen[good]} {good}, {seen['refused']} refused with a location, "
                "0 other errors",
            )
        )
    return rows


async def _run(size: dict[str, int]) -> list[kit.Figures]:
    rows = []
    for scenario in _scenarios(size):
        started = time.perf_counter()
        outcome = await scenario()
        rows.append(outcome.figures)
        took = time.perf_counter() - started
        state = "ok" if outcome.figures.ok else "FAILED"
        print(f"  {state:6} {outcome.figures.scenario} ({took:.1f} s)", file=sys.stderr)
    return rows


def _update_readme(path: Path, text: str) -> None:
    """Put the table between the markers, leaving the rest of the file as it is."""
    content = path.read_text(encoding="utf-8")
    head, start, rest = content.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{path}: add the lines {START} and {END} where the table goes")
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run every scenario, print the table, optionally write it (Markdown, JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the test suite's sizes")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--readme",
        type=Path,
        help=f"replace the table between {START} and {END} in this file (e.g. docs/reliability.md)",
    )
    parser.add_argument(
        "--no-notebooks", action="store_true", help="skip executing notebooks/ (needs a kernel)"
    )
    args = parser.parse_args(argv)
    size = _sizes(args.quick)
    print("running the reliability scenarios...", file=sys.stderr)
    rows = asyncio.run(_run(size))
    rows.append(_magic_row())
    rows += _fuzz_rows(size["fuzz"])
    if not args.no_notebooks:
        rows.append(_notebook_row())
    print("running the hostile families...", file=sys.stderr)
    families = asyncio.run(family_rows())
    command = "python scripts/reliability_report.py" + (" --quick" if args.quick else "")
    text = (
        f"Figures from `{command}` (offline, against the sandbox tenant).\n\n{kit.table(rows)}"
        f"\n\nHostile families (fake servers and inputs through the public API; every case is "
        f"also a test in `tests/reliability/test_rel_hostile_*.py`):\n\n{family_table(families)}"
    )
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.readme:
        _update_readme(args.readme, text)
    if args.json:
        figures = {"scenarios": kit.as_json(rows), "families": [vars(f) for f in families]}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if all(row.ok for row in [*rows, *families]) else 1


if __name__ == "__main__":
    sys.exit(main())
