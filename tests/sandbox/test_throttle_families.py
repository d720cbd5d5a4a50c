"""The sandbox's throttle per service family: reports in requests, identity in resource units,
each with Graph's 429 body, Retry-After and the x-ms-throttle-scope of its budget."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from graph_magic.__main__ import parse_faults
from graph_magic.knowledge.limits import Budget
from graph_magic.sandbox import (
    TENANT_ID,
    FaultMiddleware,
    SandboxOptions,
    TokenService,
    create_app,
)
from graph_magic.sandbox.inprocess import asgi_transport
from graph_magic.sandbox.throttle import sandbox_limits
from tests.sandbox.sandbox_kit import bearer
from tests.support.fakes import START, Clock
from tests.support.graph import GRAPH_HOST

Build = Callable[..., tuple[FaultMiddleware, TokenService]]
SIGN_INS = "/v1.0/auditLogs/signIns"


async def _get(
    app: FaultMiddleware, tokens: TokenService, paths: list[str], app_name: str = "sandbox-app"
) -> list[httpx.Response]:
    token, _ = tokens.issue_app_token(app_name)
    transport = asgi_transport(None, app=app)
    async with httpx.AsyncClient(transport=transport, base_url=GRAPH_HOST) as client:
        auth = {"Authorization": f"Bearer {token}"}
        return [await client.get(path, headers=auth) for path in paths]


async def test_reports_count_requests_under_the_current_table(make_app: Build) -> None:
    app, tokens = make_app({"faults": {"throttle": True}})
    answers = await _get(app, tokens, [SIGN_INS] * 6)
    assert [r.status_code == 429 for r in answers] == [False] * 5 + [True]
    throttled = answers[-1]
    assert throttled.headers["retry-after"] == "2"  # one request per 2 s refills
    assert throttled.headers["x-ms-throttle-scope"] == (
        f"Tenant_Application/ReadWrite/sandbox-app/{TENANT_ID}"
    )
    assert throttled.headers["x-ms-throttle-information"] == "RequestLimitExceeded"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert "x-ms-resource-unit" not in throttled.headers
    assert app.counters.faults["throttle"] == 1


async def test_the_legacy_table_scaled_allows_its_count(make_app: Build) -> None:
    app, tokens = make_app(
        {"faults": {"throttle": True, "throttle_reports_table": "legacy", "throttle_scale": 0.01}}
    )
    answers = await _get(app, tokens, [SIGN_INS] * 11)  # 1,000 per 20 s, a hundredth: 10
    assert [r.status_code for r in answers].count(429) == 1
    assert answers[-1].status_code == 429
    assert answers[-1].headers["retry-after"] == "2"  # 10 per 20 s: one per 2 s


async def test_families_do_not_share_a_budget(make_app: Build, clock: Clock) -> None:
    app, tokens = make_app({"faults": {"throttle": True, "throttle_units_per_10s": 4}})
    paths = [SIGN_INS] * 5 + ["/v1.0/users", "/v1.0/users", "/v1.0/users", SIGN_INS]
    statuses = [r.status_code for r in await _get(app, tokens, paths)]
    assert statuses == [404] * 5 + [200, 200, 429, 429]
    clock.now = START + 2  # 2 s refill one reports request and 1.6 resource units
    later = await _get(app, tokens, [SIGN_INS, "/v1.0/users"])
    assert [r.status_code for r in later] == [404, 429]


async def test_apps_do_not_share_an_app_and_tenant_budget(make_app: Build) -> None:
    app, tokens = make_app({"faults": {"throttle": True}})
    first = await _get(app, tokens, [SIGN_INS] * 6)
    other = await _get(app, tokens, [SIGN_INS] * 5, "sandbox-limited")
    assert first[-1].status_code == 429
    assert all(r.status_code != 429 for r in other)


async def test_invitations_share_one_budget_per_tenant(make_app: Build) -> None:
    app, tokens = make_app({"faults": {"throttle": True, "throttle_scale": 0.02}})  # 3 per 5 s
    first = await _get(app, tokens, ["/v1.0/invitations"] * 2)
    other = await _get(app, tokens, ["/v1.0/invitations"] * 2, "sandbox-limited")
    assert [r.status_code == 429 for r in first + other] == [False, False, False, True]
    assert other[-1].headers["x-ms-throttle-scope"] == (
        f"Tenant/ReadWrite/sandbox-limited/{TENANT_ID}"
    )


def test_the_sandbox_limits_come_from_its_options() -> None:
    limits = sandbox_limits(SandboxOptions.from_dict({"users": 600}))
    assert limits.first("identity").amount == 8000  # over 500 users: an L tenant
    assert sandbox_limits(SandboxOptions()).first("identity").amount == 5000  # 250 users: M
    scaled = sandbox_limits(
        SandboxOptions.from_dict(
            {"faults": {"throttle_reports_table": "legacy", "throttle_scale": 0.5}}
        )
    )
    assert scaled.first("reports") == Budget(500, 20.0)


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"throttle_reports_table": "v2"}, "'throttle_reports_table' must be one of current"),
        ({"throttle_scale": 0}, "'throttle_scale' must be a positive number"),
        ({"throttle_scale": "x"}, "'throttle_scale' must be a positive number"),
    ],
)
def test_bad_throttle_options_are_named(faults: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxOptions.from_dict({"faults": faults})


async def test_batch_items_are_charged_one_by_one_with_direct_requests() -> None:
    app = create_app(SandboxOptions.from_dict({"faults": {"throttle": True}}))
    transport = asgi_transport(None, app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=GRAPH_HOST, headers=bearer(app)
    ) as client:
        direct = [await client.get(SIGN_INS + "?$top=1") for _ in range(3)]
        items = [
            {"id": str(i), "method": "GET", "url": "/auditLogs/signIns?$top=1"} for i in range(3)
        ]
        envelope = await client.post("/v1.0/$batch", json={"requests": items})
    assert [r.status_code for r in direct] == [200] * 3
    assert envelope.status_code == 200  # the envelope itself is not charged
    answers = {a["id"]: a for a in envelope.json()["responses"]}
    assert [answers[str(i)]["status"] for i in range(3)] == [200, 200, 429]
    throttled = answers["2"]
    assert throttled["headers"]["Retry-After"] == "2"
    assert throttled["headers"]["x-ms-throttle-scope"] == (
        f"Tenant_Application/ReadWrite/sandbox-app/{TENANT_ID}"
    )
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    assert app.counters.faults == {"throttle": 1}


def test_the_throttle_options_on_the_command_line() -> None:
    faults = parse_faults(
        ["throttle=true,throttle_reports_table=legacy,throttle_scale=0.5,throttle_units_per_10s=40"]
    )
    options = SandboxOptions.from_dict({"faults": faults})
    assert faults == {
        "throttle": True,
        "throttle_reports_table": "legacy",
        "throttle_scale": 0.5,
        "throttle_units_per_10s": 40,
    }
    assert sandbox_limits(options).first("identity") == Budget(20, 10.0, "resource-units")
    assert sandbox_limits(options).first("reports") == Budget(500, 20.0)


@pytest.mark.parametrize(
    ("path", "units"),
    [
        ("/v1.0/users", "2"),
        ("/v1.0/users?$select=id", "1"),
        ("/v1.0/users?$top=5", "1"),
        ("/v1.0/subscribedSkus", "3"),
        ("/v1.0/auditLogs/signIns?$top=1", "1"),
    ],
)
async def test_every_answer_names_the_resource_units_it_was_charged(
    client: httpx.AsyncClient, path: str, units: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 200
    assert answer.headers["x-ms-resource-unit"] == units  # Graph's cost, $select and $top too
