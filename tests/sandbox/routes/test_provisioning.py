"""The provisioning logs (/auditLogs/provisioning): Graph's v1.0 shape, newest first over the
sandbox's 30 days, exact timestamp filters, paging, the permission, and the seed alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph_magic.knowledge import Knowledge
from graph_magic.sandbox import SandboxOptions, create_app
from tests.sandbox.sandbox_kit import error_of

PROVISIONING = "/v1.0/auditLogs/provisioning"
_EDM: dict[str, type | tuple[type, ...]] = {
    "Edm.String": str,
    "Edm.Int32": int,
    "Edm.DateTimeOffset": str,
}


def _shape_errors(value: Any, type_name: str, where: str) -> list[str]:
    """Where ``value`` is not what the metadata declares for ``type_name`` (null allowed)."""
    knowledge = Knowledge.for_cloud("global")
    if value is None:
        return []
    if type_name in _EDM:
        ok = isinstance(value, _EDM[type_name]) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not {type_name}"]
    if knowledge.schema.is_enum(type_name):
        members = knowledge.enum_members(type_name)
        return [] if value in members else [f"{where}: {value!r} not in {type_name}"]
    declared = {p.name: p for p in knowledge.properties(type_name)}
    if not isinstance(value, dict):
        return [f"{where}: {value!r} is not a {type_name}"]
    if not declared:  # an open type with no declared members (detailsInfo)
        return []
    errors = (
        [f"{where}: keys {sorted(value)} != {sorted(declared)}"]
        if set(value) != set(declared)
        else []
    )
    for name, prop in declared.items():
        inner = value.get(name)
        items = inner if prop.collection and isinstance(inner, list) else [inner]
        for index, item in enumerate(items):
            errors += _shape_errors(item, prop.type, f"{where}.{name}[{index}]")
    return errors


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


async def _all_pages(client: Any, params: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every item of a scan following nextLinks, and how many pages it took."""
    body = (await client.get(PROVISIONING, params=params)).json()
    items, pages = list(body["value"]), 1
    while "@odata.nextLink" in body:
        body = (await client.get(body["@odata.nextLink"])).json()
        items += body["value"]
        pages += 1
    return items, pages


async def test_every_event_has_graphs_v1_shape(client):
    body = (await client.get(PROVISIONING)).json()
    assert body["@odata.context"] == (
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"
    )
    assert len(body["value"]) == 300 and "@odata.nextLink" not in body  # one page of 1000
    errors = [
        error
        for index, event in enumerate(body["value"])
        for error in _shape_errors(event, "microsoft.graph.provisioningObjectSummary", f"[{index}]")
    ]
    assert errors == []


async def test_events_are_about_the_tenants_users_through_its_service_principals(client, app):
    tenant = app.state.tenant
    users = {u["id"]: u for u in tenant.users}
    sps = {sp["id"]: sp["displayName"] for sp in tenant.service_principals}
    events = (await client.get(PROVISIONING)).json()["value"]
    for event in events:
        entra = (
            event["targetIdentity"]
            if event["jobId"].startswith("Workday")
            else event["sourceIdentity"]
        )
        assert entra["identityType"] == "User"
        assert users[entra["id"]]["displayName"] == entra["displayName"]
        assert sps[event["servicePrincipal"]["id"]] == event["servicePrincipal"]["displayName"]
    statuses = [e["provisioningStatusInfo"]["status"] for e in events]
    assert statuses.count("success") > len(events) * 0.7
    assert {"failure", "skipped"} <= set(statuses)
    for event in events:
        info = event["provisioningStatusInfo"]
        assert (info["errorInformation"] is None) == (info["status"] == "success")


async def test_events_are_newest_first_within_the_30_days(client):
    stamps = [e["activityDateTime"] for e in (await client.get(PROVISIONING)).json()["value"]]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[-1] >= "2025-05-02T00:00:00Z" and stamps[0] < "2025-06-01T00:00:00Z"


async def test_top_pages_through_skiptokens_to_every_event_once(client, app):
    items, pages = await _all_pages(client, {"$top": "40"})
    assert _ids(items) == _ids(app.state.tenant.provisioning)
    assert pages == 8  # 300 events, 40 a page
    too_many = await client.get(PROVISIONING, params={"$top": "1001"})
    assert too_many.status_code == 400


async def test_ge_and_lt_keep_an_event_on_the_bound_once(client, app):
    stored = app.state.tenant.provisioning
    start, end = stored[9]["activityDateTime"], stored[3]["activityDateTime"]
    text = f"activityDateTime ge {start} and activityDateTime lt {end}"
    got = (await client.get(PROVISIONING, params={"$filter": text})).json()["value"]
    assert _ids(got) == _ids(stored[4:10])  # the event on `start` in, the one on `end` out
    text = f"activityDateTime gt {start} and activityDateTime le {end}"
    got = (await client.get(PROVISIONING, params={"$filter": text})).json()["value"]
    assert _ids(got) == _ids(stored[3:9])


async def test_a_seventh_digit_of_fraction_counts(client, app):
    stored = app.state.tenant.provisioning
    after = stored[5]["activityDateTime"].replace("Z", "0001Z")  # 100 ns after the event
    got = (
        await client.get(PROVISIONING, params={"$filter": f"activityDateTime ge {after}"})
    ).json()["value"]
    assert _ids(got) == _ids(stored[:5])


async def test_filter_and_paging_combine(client, app):
    text = "provisioningStatusInfo/status eq 'failure'"
    items, pages = await _all_pages(client, {"$filter": text, "$top": "5"})
    expected = [
        e
        for e in app.state.tenant.provisioning
        if e["provisioningStatusInfo"]["status"] == "failure"
    ]
    assert _ids(items) == _ids(expected) and pages > 1


async def test_one_event_by_id_and_404_for_an_unknown_one(client, app):
    event = app.state.tenant.provisioning[7]
    one = (await client.get(f"{PROVISIONING}/{event['id']}")).json()
    assert one["@odata.context"].endswith("#auditLogs/provisioning/$entity")
    assert {k: v for k, v in one.items() if k != "@odata.context"} == event
    missing = await client.get(f"{PROVISIONING}/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


async def test_an_app_without_audit_log_permission_gets_graphs_403(limited, app):
    denied = (
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
    assert error_of(await limited.get(PROVISIONING)) == denied
    event_id = app.state.tenant.provisioning[0]["id"]
    assert error_of(await limited.get(f"{PROVISIONING}/{event_id}")) == denied


def test_the_option_sets_the_count_and_the_seed_alone_the_bytes():
    small = create_app(SandboxOptions(provisioning_events=25)).state.tenant.provisioning
    assert len(small) == 25
    first, again = (create_app().state.tenant.provisioning for _ in range(2))
    assert json.dumps(first) == json.dumps(again)
    other = create_app(SandboxOptions(seed=7)).state.tenant.provisioning
    assert _ids(other) != _ids(first)


@pytest.mark.parametrize("collection", ["sign_ins", "directory_audits", "users", "security"])
def test_making_the_provisioning_logs_first_changes_no_other_collection(collection):
    plain = create_app().state.tenant
    early = create_app().state.tenant
    assert early.provisioning  # made before anything else is read
    assert repr(getattr(early, collection)) == repr(getattr(plain, collection))


def test_another_tenant_names_itself_in_its_provisioning_logs():
    options = SandboxOptions(tenant="fabrikam")
    tenant = create_app(options).state.tenant
    events = tenant.provisioning
    assert {e["tenantId"] for e in events} == {options.identity.tenant_id}
    sps = {sp["id"]: sp["displayName"] for sp in tenant.service_principals}
    assert {sps[e["servicePrincipal"]["id"]] for e in events} == {
        "Fabrikam HR Portal",
        "Ticketing",
    }
    assert "Contoso" not in json.dumps(events)
