"""Sign-in and directory audit logs: 30 days before the fixed end date, filters, ordering."""

from __future__ import annotations


async def test_sign_in_filters_on_dates_and_nested_status(client, app):
    text = "createdDateTime ge 2025-05-25T00:00:00Z and status/errorCode eq 0"
    body = (await client.get("/v1.0/auditLogs/signIns", params={"$filter": text})).json()
    expected = [
        s["id"]
        for s in app.state.tenant.sign_ins
        if s["createdDateTime"] >= "2025-05-25" and s["status"]["errorCode"] == 0
    ]
    assert [s["id"] for s in body["value"]] == expected[:1000] and expected


async def test_sign_ins_by_user_principal_name(client, app):
    first = app.state.tenant.sign_ins[0]
    text = f"userPrincipalName eq '{first['userPrincipalName'].upper()}'"
    got = (await client.get("/v1.0/auditLogs/signIns", params={"$filter": text})).json()["value"]
    assert got and all(s["userId"] == first["userId"] for s in got)


async def test_directory_audits_filter_orderby_and_page(client, app):
    params = {
        "$filter": "activityDisplayName eq 'Add member to group'",
        "$orderby": "activityDateTime asc",
        "$top": "10",
    }
    body = (await client.get("/v1.0/auditLogs/directoryAudits", params=params)).json()
    stamps = [a["activityDateTime"] for a in body["value"]]
    assert len(stamps) == 10 and stamps == sorted(stamps)
    assert all(a["activityDisplayName"] == "Add member to group" for a in body["value"])
    assert body["@odata.context"].endswith("#auditLogs/directoryAudits")
    audit = app.state.tenant.directory_audits[0]
    one = (await client.get(f"/v1.0/auditLogs/directoryAudits/{audit['id']}")).json()
    assert one["id"] == audit["id"]
    assert one["@odata.context"].endswith("#auditLogs/directoryAudits/$entity")


async def test_sign_ins_are_newest_first_and_a_window_keeps_its_edge_item_once(client, app):
    """``ge`` keeps an item stamped exactly on the edge, ``lt`` leaves it to the next window."""
    stored = app.state.tenant.sign_ins
    edge = stored[2]["createdDateTime"]  # e.g. 2025-05-31T23:01:46.561Z: same day as its peers
    newer = (
        await client.get(
            "/v1.0/auditLogs/signIns", params={"$filter": f"createdDateTime ge {edge}"}
        )
    ).json()["value"]
    older = (
        await client.get(
            "/v1.0/auditLogs/signIns",
            params={"$filter": f"createdDateTime lt {edge}", "$select": "id", "$top": "1"},
        )
    ).json()["value"]
    assert [s["id"] for s in newer] == [s["id"] for s in stored[:3]]
    assert older[0]["id"] == stored[3]["id"]
    stamps = [s["createdDateTime"] for s in newer]
    assert stamps == sorted(stamps, reverse=True)


async def test_a_seventh_digit_of_fraction_counts_in_a_date_filter(client, app):
    """Graph's instants have 100 ns ticks: ``ge X.5610001Z`` leaves out the item at X.561Z."""
    stored = app.state.tenant.sign_ins
    edge = stored[2]["createdDateTime"]
    after = edge.replace("Z", "0001Z")
    got = (
        await client.get(
            "/v1.0/auditLogs/signIns", params={"$filter": f"createdDateTime ge {after}"}
        )
    ).json()["value"]
    assert [s["id"] for s in got] == [s["id"] for s in stored[:2]]


async def test_directory_audits_honour_ge_and_lt_on_activity_date_time(client, app):
    stored = app.state.tenant.directory_audits
    start, end = stored[6]["activityDateTime"], stored[1]["activityDateTime"]
    text = f"activityDateTime ge {start} and activityDateTime lt {end}"
    got = (await client.get("/v1.0/auditLogs/directoryAudits", params={"$filter": text})).json()[
        "value"
    ]
    assert [a["id"] for a in got] == [a["id"] for a in stored[2:7]]
