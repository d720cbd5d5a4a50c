"""Client-side pacing: each request waits for its service family's budget, decided on an
injected clock (time passes only by the recorded sleeps; nothing really waits)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.pacing import SLACK_SECONDS, Owner, Pacer, owner_of, system_limits
from graph_magic.knowledge.costs import classify
from graph_magic.knowledge.limits import Budget, graph_limits
from tests.connector.connector_kit import make_connector, make_system
from tests.support.fakes import Clock, RecordingSleep
from tests.support.graph import GRAPH

SIGN_INS = "/auditLogs/signIns"
PAGE = {"value": [{"id": "s"}]}
ONE = Owner("contoso", "app-1")
S = SLACK_SECONDS  # every wait carries it, once per busy stretch


def _throttled(seconds: str) -> httpx.Response:
    body = {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}
    return httpx.Response(429, headers={"Retry-After": seconds}, json=body)


async def _get(conn, endpoint: str) -> dict:
    return await conn.perform_action("x", "y", None, {"method": "GET", "endpoint": endpoint})


def test_a_burst_waits_exactly_as_long_as_the_budget_says() -> None:
    clock, pacer, limits = Clock(0.0), Pacer(), graph_limits()
    pacer.clock = clock
    report = [classify("GET", SIGN_INS)]
    waits = [pacer.reserve(limits, ONE, report) for _ in range(7)]
    # 5 per 10 s, keeping S seconds of refill in hand: the 5th waits S, then one every 2 s
    assert waits == [0.0] * 4 + [S, 2.0 + S, 4.0 + S]
    clock.now = 4.0
    assert pacer.reserve(limits, ONE, report) == pytest.approx(2.0 + S)  # the queue moved on


def test_families_tenants_and_apps_do_not_share_a_budget() -> None:
    pacer, limits = Pacer(clock=lambda: 0.0), graph_limits()
    report = [classify("GET", SIGN_INS)]
    for _ in range(5):
        pacer.reserve(limits, ONE, report)
    assert pacer.reserve(limits, ONE, [classify("GET", "/users")]) == 0.0
    assert pacer.reserve(limits, Owner("fabrikam", "app-1"), report) == 0.0
    assert pacer.reserve(limits, Owner("contoso", "app-2"), report) == 0.0
    assert pacer.reserve(limits, ONE, report) == 2.0 + S


def test_a_tenant_budget_is_shared_by_every_app_of_the_tenant() -> None:
    pacer = Pacer(clock=lambda: 0.0)
    limits = graph_limits(overrides={"invitations": Budget(2, 5.0, scope="tenant")})
    invite = [classify("POST", "/invitations")]
    waits = [pacer.reserve(limits, Owner("contoso", app), invite) for app in ("a", "b", "c")]
    assert waits == [0.0, pytest.approx(S), pytest.approx(2.5 + S)]


def test_each_mailbox_has_its_own_outlook_budget() -> None:
    pacer = Pacer(clock=lambda: 0.0)
    limits = graph_limits(overrides={"outlook": Budget(2, 10.0, scope="app+mailbox")})
    adele = [classify("GET", "/users/adele@contoso.com/messages")]
    alex = [classify("GET", "/users/alex@contoso.com/events")]
    assert [pacer.reserve(limits, ONE, adele) for _ in range(3)] == [0.0, S, 5.0 + S]
    assert pacer.reserve(limits, ONE, alex) == 0.0  # another mailbox: a full budget
    assert pacer.reserve(limits, Owner("contoso", "app-2"), adele) == 0.0  # another app


def test_a_429_drains_the_bucket_until_its_retry_after() -> None:
    clock = Clock(0.0)
    pacer, limits = Pacer(clock=clock), graph_limits()
    report = [classify("GET", SIGN_INS)]
    assert pacer.reserve(limits, ONE, report) == 0.0  # the bucket thinks there is room
    pacer.drain(limits, ONE, report, 7.0)  # the server says otherwise: the retry goes at 7
    assert pacer.reserve(limits, ONE, report) == pytest.approx(9.0)  # then one per 2 s
    clock.now = 9.0
    assert pacer.reserve(limits, ONE, report) == pytest.approx(2.0)


def test_a_429_without_retry_after_empties_the_bucket() -> None:
    pacer, limits = Pacer(clock=lambda: 0.0), graph_limits()
    report = [classify("GET", SIGN_INS)]
    pacer.drain(limits, ONE, report, None)  # empty, and the retry's turn taken
    assert pacer.reserve(limits, ONE, report) == 4.0 + S


async def test_a_long_scan_is_paced_on_the_wire(graph, tokens) -> None:
    sleeper = RecordingSleep()
    conn = make_connector(tokens, sleeper)
    route = graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=httpx.Response(200, json=PAGE))
    users = graph.get(f"{GRAPH}/users").mock(return_value=httpx.Response(200, json=PAGE))
    for _ in range(7):
        await _get(conn, SIGN_INS)
    await _get(conn, "/users")
    assert route.call_count == 7 and users.call_count == 1
    # the 5th page waits for the slack, the 6th and 7th 2 s each; /users never waits
    assert sleeper.waits == [S, 2.0, 2.0]


async def test_retry_after_wins_and_the_retry_goes_when_it_says(graph, tokens) -> None:
    sleeper = RecordingSleep()
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0})
    graph.get(f"{GRAPH}{SIGN_INS}").mock(
        side_effect=[_throttled("7"), httpx.Response(200, json=PAGE)]
    )
    out = await _get(conn, SIGN_INS)
    assert out["response"]["status_code"] == 200
    assert sleeper.waits == [7.0]  # the retry's Retry-After; pacing adds nothing after it


async def test_requests_in_flight_wait_for_a_429s_retry_after(graph, tokens) -> None:
    sleeper = RecordingSleep()
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0, "max_attempts": 1})
    graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=_throttled("7"))
    with pytest.raises(Exception, match="429"):
        await _get(conn, SIGN_INS)
    graph.get(f"{GRAPH}/auditLogs/directoryAudits").mock(
        return_value=httpx.Response(200, json=PAGE)
    )
    await _get(conn, "/auditLogs/directoryAudits")  # the same family: the server said wait
    assert sleeper.waits == [9.0]  # 7 s, then the turn kept for a retry that never came


async def test_a_batch_is_paced_by_its_sub_requests(graph, tokens) -> None:
    sleeper = RecordingSleep()
    conn = make_connector(tokens, sleeper)
    answers = [{"id": str(i), "status": 200, "body": PAGE} for i in range(1, 7)]
    graph.post(f"{GRAPH}/$batch").mock(
        return_value=httpx.Response(200, json={"responses": answers})
    )
    requests = [{"id": str(i), "method": "GET", "url": SIGN_INS} for i in range(1, 7)]
    await conn.perform_batch(requests)
    assert sleeper.waits == [2.0 + S]  # six reports requests: the sixth one's turn


async def test_pacing_time_is_a_metric(graph, tokens, otel) -> None:
    reader, _ = otel
    conn = make_connector(tokens, RecordingSleep())
    graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=httpx.Response(200, json=PAGE))
    for _ in range(6):
        await _get(conn, SIGN_INS)
    points = {
        metric.name: metric.data.data_points
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    (point,) = points["azure.pacing.wait.duration"]
    assert point.count == 6 and point.sum == pytest.approx(2.0 + S)
    assert dict(point.attributes) == {"graph.service_family": "reports"}


def test_pacing_is_on_for_graphs_hosts_and_off_elsewhere_unless_asked() -> None:
    assert system_limits(make_system()) is not None
    local = {"base_url": "http://127.0.0.1:8765/v1.0"}
    assert system_limits(make_system(**local)) is None
    assert system_limits(make_system(**local, limits={"pacing": True})) is not None
    assert system_limits(make_system(limits={"pacing": False})) is None


def test_a_replay_is_never_paced(tmp_path) -> None:
    cassette = tmp_path / "cassette.json"
    cassette.write_text("{}")
    replay = make_system(replay=str(cassette), limits={"pacing": True})
    assert system_limits(replay) is None  # answered from a cassette, never by Graph


def test_a_system_picks_scales_and_overrides_the_table() -> None:
    system = make_system(
        limits={
            "reports_table": "legacy",
            "tenant_size": "L",
            "scale": 0.5,
            "budgets": {"invitations": {"amount": 10, "window": 1}},
        }
    )
    limits = system_limits(system)
    assert limits is not None
    assert limits.first("reports") == Budget(500, 20.0)
    assert limits.first("identity").amount == 4000
    assert limits.first("invitations") == Budget(5, 1.0, scope="tenant")


def test_a_sandbox_system_paces_by_what_its_sandbox_enforces() -> None:
    quiet = make_system(transport="sandbox")
    assert system_limits(quiet) is None  # a sandbox that does not throttle: nothing to pace
    throttled = make_system(
        transport="sandbox",
        sandbox={"faults": {"throttle": True, "throttle_reports_table": "legacy"}},
    )
    limits = system_limits(throttled)
    assert limits is not None and limits.first("reports") == Budget(1000, 20.0)


def test_the_owner_is_the_app_in_its_tenant() -> None:
    credentials = {"tenant_id": "Contoso.onmicrosoft.com", "client_id": "App-1"}
    system = make_system(credentials=credentials)
    assert owner_of(system) == Owner("contoso.onmicrosoft.com", "app-1")
    bare = make_system()
    assert owner_of(bare) == Owner(bare.rate_limit_key, bare.rate_limit_key)


@pytest.mark.parametrize(
    ("priority", "headers", "sent"),
    [
        ("high", {}, "High"),
        ("low", {}, "Low"),
        ("low", {"X-MS-Throttle-Priority": "Normal"}, "Normal"),
    ],
)
async def test_the_priority_header_is_on_the_wire(graph, tokens, priority, headers, sent) -> None:
    conn = make_connector(tokens, RecordingSleep(), throttle_priority=priority)
    route = graph.get(f"{GRAPH}/users").mock(return_value=httpx.Response(200, json=PAGE))
    await conn.perform_action("x", "y", None, {"endpoint": "/users", "headers": headers})
    (call,) = route.calls
    assert call.request.headers["x-ms-throttle-priority"] == sent


async def test_no_priority_header_unless_asked(graph, tokens) -> None:
    conn = make_connector(tokens, RecordingSleep())
    route = graph.get(f"{GRAPH}/users").mock(return_value=httpx.Response(200, json=PAGE))
    await _get(conn, "/users")
    assert "x-ms-throttle-priority" not in route.calls[0].request.headers


async def test_concurrent_requests_queue_one_after_another(graph, tokens) -> None:
    sleeper = RecordingSleep()  # the clock stands still: all eight ask at once
    conn = GraphConnector(
        make_system(), sleep=sleeper, token_provider=tokens, pacer=Pacer(clock=lambda: 0.0)
    )
    graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=httpx.Response(200, json=PAGE))
    await asyncio.gather(*(_get(conn, SIGN_INS) for _ in range(8)))
    assert sorted(sleeper.waits) == [S, 2.0 + S, 4.0 + S, 6.0 + S]


async def test_a_throttled_batch_item_drains_its_family(graph, tokens) -> None:
    sleeper = RecordingSleep()
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0})
    throttled = {
        "id": "1",
        "status": 429,
        "headers": {"Retry-After": "7"},
        "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
    }
    graph.post(f"{GRAPH}/$batch").mock(
        side_effect=[
            httpx.Response(200, json={"responses": [throttled, {"id": "2", "status": 200}]}),
            httpx.Response(200, json={"responses": [{"id": "1", "status": 200, "body": PAGE}]}),
        ]
    )
    requests = [{"id": str(i), "method": "GET", "url": SIGN_INS} for i in (1, 2)]
    out = await conn.perform_batch(requests)
    assert [entry["status"] for entry in out["response"]["data"]] == [200, 200]
    graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=httpx.Response(200, json=PAGE))
    await _get(conn, SIGN_INS)
    # the item's own 7 s; the batch resending it goes then, and empties the bucket the
    # server emptied: the next sign-in page waits for the refill (without the drain the
    # bucket would still hold 3 requests and nothing would wait)
    assert sleeper.waits == [7.0, 2.0]


async def test_a_wait_for_the_budget_is_logged(graph, tokens, caplog) -> None:
    conn = make_connector(tokens, RecordingSleep())
    graph.get(f"{GRAPH}{SIGN_INS}").mock(return_value=httpx.Response(200, json=PAGE))
    with caplog.at_level("INFO", logger="graph_magic"):
        for _ in range(6):
            await _get(conn, SIGN_INS)
    paced = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pacing")]
    assert paced == [
        f"pacing: {S:.2f}s for the reports budget",
        "pacing: 2.00s for the reports budget",
    ]
