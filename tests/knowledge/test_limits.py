"""Graph's throttling limits as data: the service family and cost of a request, and the tables."""

from __future__ import annotations

import json

import pytest

from graph_magic.knowledge.costs import RequestCost, classify, request_costs, resource_units
from graph_magic.knowledge.estimate import default_page_size, estimate_scan, pages_for
from graph_magic.knowledge.limits import (
    REPORTS_TABLES,
    Budget,
    graph_limits,
    owner_key,
    tenant_size_of,
)


@pytest.mark.parametrize(
    ("method", "path", "query", "family", "units"),
    [
        ("GET", "/v1.0/users", "", "identity", 2),
        ("GET", "/users", "$select=id&$top=5", "identity", 1),
        ("GET", "/beta/users('a@contoso.com')", "", "identity", 2),
        ("GET", "/users/u1/memberOf", "", "identity", 2),  # me/ costs apply to users/{id}/
        ("GET", "/me/memberOf", "$expand=members", "identity", 3),
        ("GET", "/groups/g1/transitiveMembers", "", "identity", 5),
        ("GET", "/devices", "", "identity", 1),
        ("POST", "/directoryObjects/getByIds", "", "identity", 5),
        ("PATCH", "/users/u1", "", "identity", 1),
        ("GET", "/auditLogs/signIns", "$top=1000", "reports", 1),
        ("GET", "/v1.0/auditLogs/directoryAudits", "", "reports", 1),
        ("GET", "/auditLogs/provisioning", "", "reports", 1),
        ("GET", "/reports/authenticationMethods/userRegistrationDetails", "", "reports", 1),
        ("GET", "/reports/getOffice365ActiveUserDetail(period='D7')", "", "usage-reports", 1),
        ("POST", "/invitations", "", "invitations", 1),
        ("GET", "/identityProtection/riskyUsers", "", "identity-protection", 1),
        ("GET", "/identity/conditionalAccess/policies", "", "identity-protection", 1),
        ("GET", "/admin/serviceAnnouncement/issues", "", "service-communications", 1),
        ("GET", "/users/u1/messages", "", "outlook", 1),  # Outlook hangs off a user
        ("POST", "/me/sendMail", "", "outlook", 1),
        ("GET", "/groups/g1/conversations", "", "outlook", 1),
        ("GET", "/users/u1/calendarView", "$top=5", "outlook", 1),
        ("GET", "/deviceManagement/managedDevices", "", "intune", 1),
        ("POST", "/deviceAppManagement/mobileApps", "", "intune", 1),
        ("GET", "/teams/t1/channels", "", "teams", 1),
        ("GET", "/users/u1/joinedTeams", "", "teams", 1),
        ("GET", "/chats/c1/messages", "", "teams", 1),
        ("GET", "/groups/g1/drive", "", "global", 1),
        ("GET", "/sites/root", "", "global", 1),
    ],
)
def test_family_and_cost_of_a_request(
    method: str, path: str, query: str, family: str, units: int
) -> None:
    cost = classify(method, path, query)
    assert (cost.family, cost.units) == (family, units)
    assert resource_units(method, path, query) == units
    assert cost.write is (method != "GET")


def test_a_batch_is_charged_per_sub_request_and_the_envelope_nothing() -> None:
    body = json.dumps(
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users?$select=id"},
                {"id": "2", "method": "GET", "url": "auditLogs/signIns"},
                {"id": "3", "method": "POST", "url": "/invitations", "body": {}},
                {"id": "4", "method": "GET", "url": "https://graph.microsoft.com/v1.0/groups"},
            ]
        }
    ).encode()
    assert request_costs("POST", "/v1.0/$batch", "", body) == (
        RequestCost("identity", 1, False),
        RequestCost("reports", 1, False),
        RequestCost("invitations", 1, True),
        RequestCost("identity", 1, False),
    )


@pytest.mark.parametrize("body", [None, b"", b"not json", b'{"requests": 3}', b"[1]"])
def test_an_unreadable_batch_is_one_global_request(body: bytes | None) -> None:
    assert request_costs("POST", "/$batch", "", body) == (RequestCost("global", 1, True),)


def test_a_plain_request_is_one_entry() -> None:
    assert request_costs("GET", "/users") == (RequestCost("identity", 2, False),)


@pytest.mark.parametrize(
    ("counts", "read", "write"),
    [("requests", 1.0, 1.0), ("resource-units", 2.0, 1.0), ("writes", 0.0, 1.0)],
)
def test_what_each_budget_takes(counts: str, read: float, write: float) -> None:
    assert classify("GET", "/users").charge(counts) == read  # type: ignore[arg-type]
    assert classify("POST", "/users").charge(counts) == write  # type: ignore[arg-type]


def test_both_published_reports_tables_are_kept() -> None:
    current = graph_limits()
    legacy = graph_limits(reports_table="legacy")
    assert current.first("reports") == Budget(5, 10.0)
    assert legacy.first("reports") == Budget(1000, 20.0)
    assert set(REPORTS_TABLES) == {"current", "legacy"}
    assert legacy.budgets("reports")[1].scope == "tenant"


def test_identity_by_tenant_size_override_and_scale() -> None:
    assert graph_limits().first("identity") == Budget(3500, 10.0, "resource-units")
    assert graph_limits(tenant_size="L").first("identity").amount == 8000
    assert graph_limits(identity_units=10).first("identity").amount == 10
    scaled = graph_limits(scale=2.0)
    assert scaled.first("reports").amount == 10
    assert scaled.first("identity").amount == 7000
    writes = graph_limits().budgets("identity")[1]
    assert (writes.amount, writes.window, writes.counts) == (3000, 150.0, "writes")


def test_an_override_replaces_a_familys_main_budget_only() -> None:
    limits = graph_limits(overrides={"reports": Budget(50, 10.0)})
    assert limits.budgets("reports") == (Budget(50, 10.0), REPORTS_TABLES["current"][1])


def test_unknown_families_fall_back_to_the_global_limit() -> None:
    limits = graph_limits()
    assert limits.budgets("nothing-like-it") == limits.budgets("global")
    assert limits.first("global") == Budget(130_000, 10.0, scope="app")
    assert limits.first("invitations") == Budget(150, 5.0, scope="tenant")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reports_table": "newest"}, "unknown reports table 'newest': one of current, legacy"),
        ({"tenant_size": "XL"}, "unknown tenant size 'XL': one of S, M, L"),
        ({"overrides": {"onenote": Budget(1, 1.0)}}, "unknown service family 'onenote'"),
    ],
)
def test_bad_choices_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        graph_limits(**kwargs)


@pytest.mark.parametrize(
    ("users", "size"), [(0, "S"), (49, "S"), (50, "M"), (500, "M"), (501, "L")]
)
def test_tenant_size_classes(users: int, size: str) -> None:
    assert tenant_size_of(users) == size


def test_a_scan_estimate_is_the_budgets_bound() -> None:
    limits = graph_limits()
    estimate = estimate_scan("reports", 25, limits)
    assert (estimate.requests, estimate.seconds, estimate.per_request) == (25, 40.0, 2.0)
    legacy = estimate_scan("reports", 2000, graph_limits(reports_table="legacy"))
    assert legacy.seconds == pytest.approx((2000 - 1000) / 50)
    identity = estimate_scan("identity", 3000, limits, units=2)
    assert identity.seconds == pytest.approx((6000 - 3500) / 350)
    unknown = estimate_scan("reports", None, limits)
    assert unknown.seconds is None and unknown.budget == Budget(5, 10.0)


def test_the_strictest_budget_bounds_a_scan() -> None:
    limits = graph_limits(overrides={"reports": Budget(10_000, 10.0)})  # per app: 122 per 10 s
    estimate = estimate_scan("reports", 1_122, limits)
    assert estimate.budget.scope == "app" and estimate.seconds == pytest.approx(1000 / 12.2)


@pytest.mark.parametrize(
    ("path", "size"), [("/users", 100), ("/v1.0/auditLogs/signIns", 1000), ("/devices", None)]
)
def test_documented_page_sizes(path: str, size: int | None) -> None:
    assert default_page_size(path) == size


def test_pages_for_items() -> None:
    assert [pages_for(n, 100) for n in (0, 1, 100, 101)] == [1, 1, 1, 2]


@pytest.mark.parametrize(
    ("path", "mailbox"),
    [
        ("/me/messages", "me"),
        ("/v1.0/users/adele@contoso.com/events", "users/adele@contoso.com"),
        ("/users/U1/mailFolders/inbox/messages", "users/u1"),
        ("/groups/g1/threads", "groups/g1"),
        ("/users/u1", None),  # the directory, not the mailbox
    ],
)
def test_an_outlook_request_names_its_mailbox(path: str, mailbox: str | None) -> None:
    assert classify("GET", path).mailbox == mailbox


def test_outlook_budgets_are_per_app_and_mailbox() -> None:
    (budget,) = graph_limits().budgets("outlook")
    assert (budget.amount, budget.window) == (10_000, 600.0)
    keys = {
        owner_key(budget, app="a", tenant="t", mailbox=classify("GET", path).mailbox)
        for path in ("/users/u1/messages", "/users/u1/events", "/users/u2/messages", "/me/todo")
    }
    assert len(keys) == 3  # u1 twice, u2, me
