"""Paging 50+ pages of /users/delta while ~30% of requests fail: nothing lost, nothing twice.

Faults are the sandbox's own (429 with Retry-After in each form, 503/504 bursts, and dropped
connections when served on loopback); the connector's sleep is a recorder, so the Retry-After
waits are checked without being slept.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph_magic.sandbox import create_app
from tests.reliability.reliability_faults import delta_scan, paging_faults, throttled_scan
from tests.reliability.reliability_kit import (
    RETRY_AFTER_FORMS,
    Outcome,
    Recorder,
    RecordingSleep,
    app_token,
    bearer_system,
    in_process,
    injector,
    options,
)

PAGES = 52


def _assert_complete(outcome: Outcome) -> None:
    assert outcome.items == outcome.expected_items  # every user, once, in the tenant's order
    assert outcome.figures.duplicates == 0
    assert outcome.extra["pages"] == PAGES
    link = outcome.data["@odata.deltaLink"]
    assert "/users/delta?$deltatoken=" in link
    assert "@odata.nextLink" not in outcome.data
    # The deltaLink works: right after a full round there are no changes.
    assert outcome.extra["followed"]["value"] == []
    assert outcome.extra["followed"]["@odata.deltaLink"]


def _assert_counted(outcome: Outcome) -> None:
    """Every injected fault was retried once and counted, with its wait, in the metrics."""
    counters = outcome.extra["counters"]
    faults = sum(counters["faults"].values())
    assert faults >= 0.2 * counters["requests"]  # the scan really ran through ~30% faults
    assert counters["requests"] == PAGES + 1 + faults  # 52 pages, the deltaLink, the retries
    assert outcome.figures.retries == faults
    assert outcome.extra["resent"] == faults  # each resend said so in Retry-Attempt
    assert outcome.extra["http_429_metric"] == counters["faults"].get("429", 0)
    assert outcome.extra["retry_delay_count"] == faults == len(outcome.waits)
    assert outcome.extra["retry_delay_sum"] == pytest.approx(sum(outcome.waits))


@pytest.mark.parametrize("form", RETRY_AFTER_FORMS)
async def test_in_process_paging_survives_429_503_504(form: str) -> None:
    outcome = await delta_scan(PAGES, form=form)
    _assert_complete(outcome)
    _assert_counted(outcome)
    # Each 429 was waited out for the 2 s the server asked, whatever the form (backoff alone
    # would wait 0.5 s). An HTTP date is read against the clock a moment later: a hair less.
    assert outcome.extra["counters"]["faults"]["429"] > 0
    assert outcome.extra["min_429_delay"] >= (1.9 if form == "http-date" else 2.0)


async def test_served_paging_survives_faults_and_dropped_connections() -> None:
    outcome = await delta_scan(PAGES, form="seconds", served_mode=True, drops=0.1)
    _assert_complete(outcome)
    _assert_counted(outcome)
    assert outcome.extra["counters"]["faults"]["drop"] > 0


async def test_served_paging_reads_an_http_date_retry_after_over_the_wire() -> None:
    outcome = await delta_scan(PAGES, form="http-date", served_mode=True)
    _assert_complete(outcome)
    _assert_counted(outcome)
    assert outcome.extra["min_429_delay"] >= 1.9


async def test_iter_pages_hands_over_every_page_once_under_faults() -> None:
    """Scripts page with iter_pages: each page arrives once, numbered, in order."""
    app = create_app(options(users=300, **paging_faults("ms")))
    sleep = RecordingSleep()
    async with in_process(app, bearer_system(app_token(app)), sleep) as conn:
        pages = [page async for page in conn.iter_pages("/users", params={"$top": 5})]
    assert [page.number for page in pages] == list(range(1, 61))
    items = [item["id"] for page in pages for item in page.items]
    assert items == [u["id"] for u in app.state.tenant.users]
    assert pages[-1].next_link is None and all(p.next_link for p in pages[:-1])
    assert len(sleep.waits) == sum(injector(app).counters.faults.values()) > 0


async def test_advanced_query_keeps_its_header_on_every_page_and_every_retry() -> None:
    app = create_app(options(users=300, **paging_faults("seconds")))
    recorder = Recorder(app)
    levels: list[str | None] = []

    async def watch(scope: Any, receive: Any, send: Any) -> None:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        levels.append(headers.get("consistencylevel"))
        await recorder(scope, receive, send)

    config = {
        "method": "GET",
        "endpoint": "/users",
        "params": {"$filter": "endsWith(mail,'contoso.com')", "$top": 5, "$select": "id,mail"},
    }
    async with in_process(watch, bearer_system(app_token(app)), RecordingSleep()) as conn:
        out = await conn.perform_action("user", "list", None, config)
    data = out["response"]["data"]
    assert out["response"]["advanced_query"] is True
    assert out["response"]["pages"] >= 50
    assert len(data["value"]) == data["@odata.count"] == len({u["id"] for u in data["value"]})
    assert sum(1 for header in recorder.retry_attempts if header) > 0
    assert set(levels) == {"eventual"}  # first page, nextLink pages, and every resend


async def test_honouring_retry_after_under_the_token_bucket_costs_only_the_deficit() -> None:
    """10 units per 10 s, 2 units a page: backoff alone (0.5 s) would be throttled again."""
    outcome = await throttled_scan(60, units_per_10s=10)
    assert outcome.items == outcome.expected_items
    throttled = outcome.figures.faults
    assert throttled > 0 and outcome.figures.retries == throttled == len(outcome.waits)
    # every throttled page went through on its first retry: the client waited long enough
    assert outcome.extra["highest_attempt"] == 2
    # and not much longer: the bucket's deficit, plus Retry-After's rounding to whole seconds
    minimum = outcome.extra["minimum_wait"]
    assert minimum <= sum(outcome.waits) <= minimum + throttled
