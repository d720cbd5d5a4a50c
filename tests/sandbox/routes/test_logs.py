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
