"""Hostile Graph answers, family by family, through the connector's public API.

Each case (in ``hostile_pages``, ``hostile_transfer``, ``hostile_deadline_batch``) builds a fake
Graph on httpx's in-process transport and states what the user must get: the error class and
what its message says, the items kept, and how many requests reached the server. The same
cases make the hostile-family rows of ``scripts/reliability_report.py``.
"""

from __future__ import annotations

import pytest

from tests.reliability import hostile_deadline_batch, hostile_pages, hostile_transfer
from tests.reliability.hostile_kit import TOKEN, Case, CaseResult, by_name, family_params, run_case

FAMILIES = {
    "page": hostile_pages.PAGE_CASES,
    "link": hostile_pages.LINK_CASES,
    "redirect": hostile_transfer.REDIRECT_CASES,
    "size": hostile_transfer.SIZE_CASES,
    "deadline": hostile_deadline_batch.DEADLINE_CASES,
    "batch": hostile_deadline_batch.BATCH_CASES,
}
CASES = family_params(FAMILIES)


@pytest.mark.parametrize("case", CASES)
async def test_the_user_gets_what_the_readme_promises(case: Case) -> None:
    result = await run_case(case)
    assert result.problems == []


async def test_a_loop_of_redirects_is_an_error_after_six_requests() -> None:
    cases = by_name(hostile_transfer.REDIRECT_CASES)
    result = await run_case(cases["302 to itself forever"])
    assert type(result.error).__name__ == "GraphResponseError"
    assert "redirected more than 5 times" in str(result.error)
    assert result.sent == 6


async def test_no_request_to_another_host_carried_the_token_cookie_or_body() -> None:
    elsewhere: list = []
    for case in hostile_transfer.REDIRECT_CASES:
        result: CaseResult = await run_case(case)
        elsewhere += [r for r in result.wire if r.url.host != "graph.microsoft.com"]
    assert len(elsewhere) >= 10  # the cases did reach other hosts
    assert not [r for r in elsewhere if "authorization" in r.headers or "cookie" in r.headers]
    assert not [r for r in elsewhere if r.content]
    assert not [r for r in elsewhere if TOKEN in str(r.headers)]


async def test_a_bomb_is_refused_after_reading_a_few_raw_chunks() -> None:
    result = await run_case(by_name(hostile_transfer.SIZE_CASES)["deflate (zlib) bomb, 256 MiB"])
    assert result.error is not None and result.error.setting == "max_response_bytes"
    assert result.extra["raw chunks read"] < 300  # of about 260 KB of raw deflate
