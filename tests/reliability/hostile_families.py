"""Every hostile family in one list, for the reliability report's second table.

The tests run the same cases one by one (``test_rel_hostile_*``); the report runs each family
whole and prints cases tried, cases that behaved as promised, items kept (of those the cases
must keep: the pages before a fault, the sound $batch answers), requests that reached the
hostile server, and the time taken.
"""

from __future__ import annotations

from tests.reliability import (
    hostile_deadline_batch,
    hostile_inputs,
    hostile_outputs,
    hostile_pages,
    hostile_tokens,
    hostile_transfer,
)
from tests.reliability.hostile_kit import Case, FamilyFigures, run_family

FAMILIES: list[tuple[str, list[Case], str]] = [
    ("malformed pages mid-scan", hostile_pages.PAGE_CASES, "a broken page 2 keeps page 1"),
    ("nextLinks that are not links", hostile_pages.LINK_CASES, "refused before sending"),
    (
        "redirects (301-308, other host, http, loops)",
        hostile_transfer.REDIRECT_CASES,
        "no token, cookie or body reached another host",
    ),
    (
        "size caps (deflate, gzip, chunked)",
        hostile_transfer.SIZE_CASES,
        "max_response_bytes 64 KiB, counted after decompression",
    ),
    (
        "drip servers vs a 0.2 s timeout",
        hostile_deadline_batch.DEADLINE_CASES,
        "each attempt cut at the deadline; writes not resent",
    ),
    (
        "$batch answers not in Graph's shape",
        hostile_deadline_batch.BATCH_CASES,
        "sound answers and writes kept",
    ),
    (
        "token refresh, 16 callers at once",
        hostile_tokens.CASES,
        "one token request per wave; a failure shared, then retried",
    ),
    ("system YAML", hostile_inputs.YAML_CASES, "refused with file and line"),
    ("config errors near a secret", hostile_inputs.CONFIG_CASES, "key named, value never shown"),
    (
        "secrets in DEBUG logs and errors",
        hostile_outputs.SECRET_CASES,
        "root logger at DEBUG, httpx's records included",
    ),
    (
        "framing and connection headers in a cell",
        hostile_outputs.HEADER_CASES,
        "never sent as written",
    ),
    ("spreadsheet formulas in --csv", hostile_outputs.CSV_CASES, "written as text; numbers kept"),
]


async def family_rows() -> list[FamilyFigures]:
    """Run every family; one row each."""
    return [await run_family(name, cases, note) for name, cases, note in FAMILIES]
