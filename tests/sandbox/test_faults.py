"""Fault injection: what each setting puts on the wire, exactly, and that it is seeded."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from graph_magic.sandbox import (
    TENANT_ID,
    FaultMiddleware,
    TokenService,
    asgi_transport,
    batch_item_fault,
    resource_units,
)
from tests.sandbox.sandbox_kit import GRAPH_SCOPE
from tests.support.fakes import START, Clock, RecordingSleep
from tests.support.graph import GRAPH_HOST

Build = Callable[..., tuple[FaultMiddleware, TokenService]]
GRAPH = GRAPH_HOST  # the sandbox serves every version under the host
TOKEN_URL = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"


def _client(app: FaultMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH)


async def _statuses(app: FaultMiddleware, n: int, path: str = "/v1.0/users") -> list[int]:
    async with _client(app) as client:
        return [(await client.get(path)).status_code for _ in range(n)]


async def test_faults_are_off_by_default(make_app: Build, sleeps: RecordingSleep) -> None:
    app, _ = make_app()
    assert await _statuses(app, 20) == [200] * 20
    assert sleeps.waits == []
    assert app.counters.as_dict() == {"requests": 20, "faults": {}, "resource_units": 40}


@pytest.mark.parametrize(
    ("form", "header", "value"),
    [
        ("seconds", "retry-after", "3"),
        ("fractional", "retry-after", "2.128"),
        ("http-date", "retry-after", "Fri, 15 Jan 2027 08:00:03 GMT"),
        ("ms", "x-ms-retry-after-ms", "2128"),
    ],
)
async def test_every_nth_429_with_each_retry_after_form(
    make_app: Build, form: str, header: str, value: str
) -> None:
    app, _ = make_app(
        {"faults": {"every_nth_429": 3, "retry_after": 2.128, "retry_after_form": form}}
    )
    async with _client(app) as client:
        responses = [
            await client.get("/v1.0/users", headers={"client-request-id": "c-1"}) for _ in range(6)
        ]
    assert [r.status_code for r in responses] == [200, 200, 429, 200, 200, 429]
    throttled = responses[2]
    assert throttled.headers[header] == value
    other = {"retry-after", "x-ms-retry-after-ms"} - {header}
    assert not other & set(throttled.headers)
    assert throttled.headers["content-type"] == "application/json"
    assert throttled.headers["client-request-id"] == "c-1"
    error = throttled.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["message"] == "Please retry again later."
    assert error["innerError"]["code"] == "429"
    assert error["innerError"]["message"] == "Please retry after"
    assert error["innerError"]["status"] == "429"
    assert error["innerError"]["date"] == "2027-01-15T08:00:00"
    assert error["innerError"]["request-id"] == throttled.headers["request-id"]
    assert app.counters.faults["429"] == 2


async def test_rate_429_is_seeded(make_app: Build) -> None:
    options = {"seed": 5, "faults": {"rate_429": 0.3}}
    first = await _statuses(make_app(options)[0], 40)
    second = await _statuses(make_app(options)[0], 40)
    other_seed = await _statuses(make_app({**options, "seed": 6})[0], 40)
    assert first == second
    assert first != other_seed
    assert 0 < first.count(429) < 40


async def test_503_bursts_carry_retry_after_and_504_does_not(make_app: Build) -> None:
    app, _ = make_app({"faults": {"rate_503": 0.2, "burst": 3, "retry_after": 4}})
    async with _client(app) as client:
        responses = [await client.get("/v1.0/users") for _ in range(60)]
    statuses = [r.status_code for r in responses]
    first = statuses.index(503)
    assert statuses[first : first + 3] == [503, 503, 503]
    failed = responses[first]
    assert failed.headers["retry-after"] == "4"
    assert failed.json()["error"]["code"] == "serviceNotAvailable"

    app, _ = make_app({"faults": {"rate_504": 1.0}})
    async with _client(app) as client:
        response = await client.get("/v1.0/users")
    assert response.status_code == 504
    assert "retry-after" not in response.headers
    assert response.json()["error"]["code"] == "gatewayTimeout"


async def test_latency_and_jitter_use_the_injected_sleep(
    make_app: Build, sleeps: RecordingSleep
) -> None:
    app, _ = make_app({"latency_ms": 40, "latency_jitter_ms": 10})
    await _statuses(app, 5)
    assert len(sleeps.waits) == 5
    assert all(0.040 <= s <= 0.050 for s in sleeps.waits)
    assert len(set(sleeps.waits)) > 1


async def test_token_endpoints_are_never_faulted(make_app: Build, sleeps: RecordingSleep) -> None:
    app, _ = make_app(
        {"latency_ms": 50, "faults": {"rate_429": 1.0, "rate_503": 1.0, "drop_rate": 1.0}}
    )
    async with _client(app) as client:
        response = await client.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": "sandbox-app",
                "client_secret": "sandbox-secret",
                "scope": GRAPH_SCOPE[0],
            },
        )
    assert response.status_code == 200
    assert sleeps.waits == []
    assert app.counters.requests == 0


async def test_drop_in_process_surfaces_as_a_protocol_error(make_app: Build) -> None:
    app, _ = make_app({"faults": {"drop_rate": 1.0}})
    async with _client(app) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/v1.0/users")
    assert app.counters.faults["drop"] == 1


@pytest.mark.parametrize(
    ("method", "path", "query", "units"),
    [
        ("GET", "/v1.0/users", "", 2),
        ("GET", "/v1.0/users", "$select=id", 1),
        ("GET", "/v1.0/users", "$select=id&$expand=manager", 2),
        ("GET", "/v1.0/users", "$top=5", 1),
        ("GET", "/beta/users/abc", "", 2),
        ("GET", "/v1.0/groups/g1/members", "", 3),
        ("GET", "/v1.0/groups/g1/transitiveMembers", "", 5),
        ("GET", "/v1.0/subscribedSkus", "", 3),
        ("GET", "/v1.0/me/memberOf", "", 2),
        ("GET", "/v1.0/devices", "$top=50", 1),
        ("POST", "/v1.0/users", "", 1),
        ("POST", "/v1.0/directoryObjects/getByIds", "", 5),
    ],
)
def test_resource_unit_costs(method: str, path: str, query: str, units: int) -> None:
    assert resource_units(method, path, query) == units


async def test_token_bucket_throttles_and_refills(make_app: Build, clock: Clock) -> None:
    app, tokens = make_app({"faults": {"throttle": True, "throttle_units_per_10s": 10}})
    token, _ = tokens.issue_app_token("sandbox-app")
    auth = {"Authorization": f"Bearer {token}"}
    async with _client(app) as client:
        ok = [await client.get("/v1.0/users", headers=auth) for _ in range(5)]
        throttled = await client.get("/v1.0/users", headers=auth)
        clock.now = START + 2  # 2 s refill 2 units: enough for one more users page
        after = await client.get("/v1.0/users", headers=auth)
    assert [r.status_code for r in ok] == [200] * 5
    assert [r.headers["x-ms-resource-unit"] for r in ok] == ["2"] * 5
    assert "x-ms-throttle-limit-percentage" not in ok[3].headers  # 80% is not over 80%
    assert ok[4].headers["x-ms-throttle-limit-percentage"] == "1.0"
    assert "x-ms-throttle-limit-percentage" not in ok[0].headers
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "2"  # 2 units at 1 unit per second
    assert throttled.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert throttled.headers["x-ms-throttle-scope"] == (
        f"Tenant_Application/Read/sandbox-app/{TENANT_ID}"
    )
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert after.status_code == 200
    assert app.counters.faults["throttle"] == 1


async def test_token_bucket_is_per_app(make_app: Build) -> None:
    app, tokens = make_app({"faults": {"throttle": True, "throttle_units_per_10s": 4}})
    one = {"Authorization": f"Bearer {tokens.issue_app_token('sandbox-app')[0]}"}
    two = {"Authorization": f"Bearer {tokens.issue_app_token('sandbox-limited')[0]}"}
    async with _client(app) as client:
        statuses = [
            (await client.get("/v1.0/users", headers=headers)).status_code
            for headers in (one, one, two, two, one)
        ]
    assert statuses == [200, 200, 200, 200, 429]


def test_batch_item_fault_from_app_state(make_app: Build) -> None:
    app, _ = make_app({"faults": {"batch_item_429_rate": 1.0, "retry_after": 5}})
    item = batch_item_fault(app.state)
    assert item["status"] == 429
    assert item["headers"] == {"Retry-After": "5", "Content-Type": "application/json"}
    assert item["body"]["error"]["code"] == "TooManyRequests"
    assert app.counters.faults["batch_item_429"] == 1

    quiet, _ = make_app()
    assert batch_item_fault(quiet.state) is None
    assert batch_item_fault(object()) is None


async def test_batch_sub_requests_marked_in_scope_are_left_alone(make_app: Build) -> None:
    app, _ = make_app({"faults": {"rate_429": 1.0}})
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1.0/users",
        "raw_path": b"/v1.0/users",
        "query_string": b"",
        "headers": [],
        "scheme": "https",
        "root_path": "",
        "server": ("graph.microsoft.com", 443),
        "http_version": "1.1",
        "graph_magic.batch_item": True,
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert app.counters.requests == 0
