"""A log scan cut into time windows: every item once, in the sequential order, the exact filters.

Each test holds its own in-process sandbox tenant (so it can put an item exactly on a window's
edge) and compares the windowed scan with the sequential nextLink scan of the same tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.pacing import SLACK_SECONDS, Pacer
from graph_magic.connector.paging import Page
from graph_magic.connector.time_bounds import time_bounds
from graph_magic.connector.window_plan import plan_windows
from graph_magic.connector.windows import scan_windows
from graph_magic.errors import GraphAPIError
from tests.support.fakes import RecordingSleep
from tests.support.log_sandbox import log_connector, log_tenant

SIGN_INS = "/auditLogs/signIns"
AUDITS = "/auditLogs/directoryAudits"
PROVISIONING = "/auditLogs/provisioning"


async def _items(pages: AsyncIterator[Page]) -> list[dict[str, Any]]:
    return [item async for page in pages for item in page.items]


async def _sequential(connector: GraphConnector, path: str, params: dict[str, str]) -> list:
    return await _items(connector.iter_pages(path, params=params))


async def _windowed(
    connector: GraphConnector, path: str, params: dict[str, str], parallel: int, **kw: Any
) -> list:
    request = connector.build_request({"method": "GET", "endpoint": path, "params": params})
    return await _items(scan_windows(connector, request, parallel, **kw))


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


DATA_END = datetime(2025, 6, 1, tzinfo=UTC)  # the sandbox's logs end here


@pytest.mark.parametrize(
    ("path", "params", "parallel"),
    [
        (SIGN_INS, {"$top": "100"}, 1),
        (SIGN_INS, {"$top": "100"}, 4),
        (SIGN_INS, {"$top": "37", "$select": "id,createdDateTime"}, 8),
        (SIGN_INS, {"$filter": "status/errorCode eq 0", "$top": "150"}, 5),
        (SIGN_INS, {"$orderby": "createdDateTime asc", "$top": "200"}, 3),
        (AUDITS, {"$top": "40"}, 6),
        (AUDITS, {"$orderby": "activityDateTime asc", "$top": "25"}, 3),
        (PROVISIONING, {"$top": "20"}, 4),
        (PROVISIONING, {"$filter": "provisioningStatusInfo/status eq 'success'"}, 4),
        (PROVISIONING, {"$orderby": "activityDateTime asc", "$top": "30"}, 4),
    ],
)
async def test_windows_give_every_item_once_in_the_sequential_order(
    path: str, params: dict[str, str], parallel: int
) -> None:
    app = log_tenant()
    connector, _ = log_connector(app)
    async with connector:
        sequential = await _sequential(connector, path, params)
        windowed = await _windowed(connector, path, params, parallel, now=DATA_END)
    assert len(sequential) > 100
    assert _ids(windowed) == _ids(sequential)  # same items, once each, same order
    assert len(set(_ids(windowed))) == len(windowed)


async def test_parentheses_inside_a_literal_do_not_count() -> None:
    connector, _ = log_connector(log_tenant())
    text = "appDisplayName eq 'Office (365'"
    request = connector.build_request(
        {"method": "GET", "endpoint": SIGN_INS, "params": {"$filter": text}}
    )
    _, windows = plan_windows(request, 2, now=DATA_END)
    assert f"({text}) and createdDateTime" in str(windows[0].request.url).replace("%20", " ")


async def test_each_window_sends_the_users_filter_and_its_own_bounds() -> None:
    app = log_tenant()
    connector, sent = log_connector(app)
    user = "status/errorCode eq 0 and createdDateTime ge 2025-05-20T00:00:00Z"
    params = {"$filter": user, "$select": "id,createdDateTime"}
    async with connector:
        await _windowed(connector, SIGN_INS, params, 3, now=datetime(2025, 5, 23, tzinfo=UTC))
    assert sorted(sent.filters()) == sorted(
        [
            f"({user}) and createdDateTime ge 2025-05-22T00:00:00Z",
            f"({user}) and createdDateTime ge 2025-05-21T00:00:00Z"
            " and createdDateTime lt 2025-05-22T00:00:00Z",
            f"({user}) and createdDateTime lt 2025-05-21T00:00:00Z",
        ]
    )


async def test_without_bounds_the_windows_cut_the_retention_up_to_the_clock() -> None:
    app = log_tenant()
    connector, sent = log_connector(app)
    async with connector:
        items = await _windowed(connector, SIGN_INS, {}, 3, now=DATA_END)
    assert sorted(sent.filters()) == sorted(
        [
            "createdDateTime ge 2025-05-22T00:00:00Z",
            "createdDateTime ge 2025-05-12T00:00:00Z and createdDateTime lt 2025-05-22T00:00:00Z",
            "createdDateTime lt 2025-05-12T00:00:00Z",
        ]
    )
    assert len(items) == 2000


@pytest.mark.parametrize(
    ("user", "cut"),
    [
        # Only an upper bound: the retention before it (the clock is far past the data).
        ("createdDateTime lt 2025-05-31T00:00:00Z", "2025-05-16T00:00:00Z"),
        # Only a lower bound: up to the clock when the clock is past it...
        ("createdDateTime ge 2025-05-29T00:00:00Z", "2025-05-30T12:00:00Z"),
    ],
)
def test_a_missing_bound_comes_from_the_retention_and_the_clock(user: str, cut: str) -> None:
    connector, _ = log_connector(log_tenant())
    request = connector.build_request(
        {"method": "GET", "endpoint": SIGN_INS, "params": {"$filter": user}}
    )
    _, windows = plan_windows(request, 2, now=DATA_END + timedelta(days=400 if "lt" in user else 0))
    assert windows[0].start == datetime.fromisoformat(cut.replace("Z", "+00:00"))


def test_a_lower_bound_past_the_clock_still_gets_a_range_to_cut() -> None:
    connector, _ = log_connector(log_tenant())
    request = connector.build_request(
        {
            "method": "GET",
            "endpoint": SIGN_INS,
            "params": {"$filter": "createdDateTime ge 2025-05-01"},
        }
    )
    _, windows = plan_windows(request, 2, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert windows[0].start == datetime(2025, 5, 16, tzinfo=UTC)


async def test_an_item_stamped_exactly_on_a_cut_comes_once_from_the_newer_window() -> None:
    app = log_tenant()
    stored = app.state.tenant.sign_ins
    edge = stored[700]
    edge["createdDateTime"] = edge["createdDateTime"][:19] + ".000Z"  # a whole second
    moment = datetime.fromisoformat(edge["createdDateTime"].replace("Z", "+00:00"))
    low, high = moment - timedelta(hours=1), moment + timedelta(hours=1)  # one cut: the item
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    user = f"createdDateTime ge {low:{stamp}} and createdDateTime lt {high:{stamp}}"
    connector, _ = log_connector(app)
    async with connector:
        request = connector.build_request(
            {"method": "GET", "endpoint": SIGN_INS, "params": {"$filter": user}}
        )
        _, windows = plan_windows(request, 2)
        assert windows[0].start == moment  # the cut is the item's instant
        pages = [page async for page in scan_windows(connector, request, 2)]
        sequential = await _sequential(connector, SIGN_INS, {"$filter": user})
    windowed = [item for page in pages for item in page.items]
    assert _ids(windowed).count(edge["id"]) == 1
    assert _ids(windowed) == _ids(sequential)
    (holder,) = [page for page in pages if edge["id"] in _ids(page.items)]
    assert f"ge {edge['createdDateTime'][:19]}Z" in str(holder.url).replace("%20", " ")


async def test_an_item_on_the_users_own_fractional_bound_is_kept_once() -> None:
    app = log_tenant()
    stored = app.state.tenant.sign_ins
    bound = stored[300]["createdDateTime"]  # e.g. 2025-05-27T10:11:12.345Z
    user = f"createdDateTime ge {bound}"
    connector, _ = log_connector(app)
    async with connector:
        windowed = await _windowed(connector, SIGN_INS, {"$filter": user}, 4)
    assert _ids(windowed) == _ids(stored[:301])


async def test_a_failed_window_fails_the_scan_after_the_others_items() -> None:
    app = log_tenant()
    plan_params = {"$top": "100", "$select": "id,createdDateTime"}

    def second_page_of_the_middle_window(url: Any) -> bool:
        text = str(url).replace("%20", " ")
        return "ge 2025-05-12T00:00:00Z" in text and "$skiptoken" in text

    connector, _ = log_connector(app, fail=second_page_of_the_middle_window)
    received: list[dict[str, Any]] = []
    async with connector:
        request = connector.build_request(
            {"method": "GET", "endpoint": SIGN_INS, "params": plan_params}
        )
        with pytest.raises(GraphAPIError) as caught:
            async for page in scan_windows(connector, request, 3, now=DATA_END):
                received.extend(page.items)
    stored = app.state.tenant.sign_ins
    newest = [s for s in stored if s["createdDateTime"] >= "2025-05-22"]
    middle = [s for s in stored if "2025-05-12" <= s["createdDateTime"] < "2025-05-22"]
    oldest = [s for s in stored if s["createdDateTime"] < "2025-05-12"]
    assert caught.value.status_code == 400
    assert _ids(received) == _ids(newest + middle[:100] + oldest)  # the others all kept
    (note,) = caught.value.__notes__
    assert note == (
        "window 2 of 3 (createdDateTime ge 2025-05-12T00:00:00Z and lt 2025-05-22T00:00:00Z) "
        "failed; the other windows' items were kept"
    )


async def test_every_windows_request_waits_its_turn_in_the_services_budget() -> None:
    """The windows go through the connector's send: the pacer spaces every one of them."""
    sleeper = RecordingSleep()
    connector, sent = log_connector(
        log_tenant(),
        limits={"pacing": True, "reports_table": "current"},  # 5 requests per 10 s
        connector_options={"sleep": sleeper, "pacer": Pacer(clock=lambda: 0.0)},
    )
    async with connector:
        items = await _windowed(connector, SIGN_INS, {"$top": "100"}, 4, now=DATA_END)
    assert len(items) == 2000 and len(sent.sent) >= 20
    # On a clock that stands still, the first 4 go at once, then one per 2 s (plus the slack).
    expected = [SLACK_SECONDS + 2.0 * n for n in range(len(sent.sent) - 4)]
    assert sorted(sleeper.waits) == pytest.approx(expected)


async def test_closing_the_scan_early_cancels_the_windows_still_running() -> None:
    app = log_tenant(sign_ins=3000, latency_ms=20)
    connector, sent = log_connector(app)
    async with connector:
        request = connector.build_request(
            {"method": "GET", "endpoint": SIGN_INS, "params": {"$top": "50"}}
        )
        pages = scan_windows(connector, request, 4, now=DATA_END)
        first = await anext(pages)
        await pages.aclose()  # type: ignore[attr-defined]
        assert first.items
        await asyncio.sleep(0)
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert running == []
    assert len(sent.sent) < 3000 / 50  # far from every page


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"method": "GET", "endpoint": "/users"},
            "--parallel cuts a log scan into time windows, so it works only on a GET of a "
            "time-ordered log collection: /auditLogs/signIns (createdDateTime), "
            "/auditLogs/directoryAudits (activityDateTime), /auditLogs/provisioning "
            "(activityDateTime); not GET /users",
        ),
        (
            {"method": "POST", "endpoint": SIGN_INS, "body": {}},
            "not POST /auditLogs/signIns",
        ),
        (
            {"method": "GET", "endpoint": SIGN_INS, "params": {"$orderby": "userPrincipalName"}},
            "$orderby may only be createdDateTime (asc or desc), not 'userPrincipalName'",
        ),
        (
            {"method": "GET", "endpoint": AUDITS, "params": {"$count": "true"}},
            "$count=true cannot go with --parallel",
        ),
        (
            {"method": "GET", "endpoint": SIGN_INS, "params": {"$filter": "appId eq 'a') or (x"}},
            "the $filter's parentheses do not balance",
        ),
        (
            {"method": "GET", "endpoint": SIGN_INS, "params": {"$filter": "appId eq 'it''s"}},
            "the $filter's parentheses do not balance",
        ),
    ],
)
async def test_a_scan_that_cannot_be_windowed_is_refused_before_sending(
    config: dict[str, Any], message: str
) -> None:
    connector, sent = log_connector(log_tenant())
    async with connector:
        with pytest.raises(ValueError) as caught:
            scan_windows(connector, connector.build_request(config), 4)
    assert message in str(caught.value)
    assert sent.sent == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("createdDateTime ge 2025-05-01T00:00:00Z", ("2025-05-01T00:00:00", None)),
        (
            "2025-05-03 gt createdDateTime and (createdDateTime ge 2025-05-01T06:00:00.1234567Z)",
            ("2025-05-01T06:00:00.123456", "2025-05-03T00:00:00"),
        ),
        (
            "createdDateTime le 2025-05-02T00:00:00+02:00 and createdDateTime ge 2025-05-01",
            ("2025-05-01T00:00:00", "2025-05-01T22:00:00.000001"),
        ),
        ("createdDateTime ge 2025-05-01 or appId eq 'x'", (None, None)),  # not a bound
        ("not (createdDateTime lt 2025-05-01)", (None, None)),
        ("createdDateTime ge ??? and appId eq 'x'", (None, None)),  # unreadable: no bound
        # Graph's own spellings elsewhere do not hide a bound, nor literals that look like one.
        (
            "startsWith(appDisplayName,'Office') and userPrincipalName in ('a@contoso.com') and "
            "(createdDateTime ge 2025-05-01 and appId eq 'it''s (and or)')",
            ("2025-05-01T00:00:00", None),
        ),
        ("(createdDateTime ge 2025-05-01 or appId eq 'x') and appId ne 'y'", (None, None)),
        ("appDisplayName eq 'createdDateTime'", (None, None)),
    ],
)
def test_the_users_own_bounds_are_read_only_from_and_ed_comparisons(
    text: str, expected: tuple[str | None, str | None]
) -> None:
    low, high = time_bounds(text, "createdDateTime")
    shown = tuple(
        None if m is None else m.astimezone(UTC).replace(tzinfo=None).isoformat()
        for m in (low, high)
    )
    assert shown == expected
