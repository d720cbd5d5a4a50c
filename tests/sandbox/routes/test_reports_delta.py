"""The usage report's 302 to a CSV on another host, and users/delta rounds."""

from __future__ import annotations

import csv
import io

from graph_magic.sandbox.routes.reports import download_origin
from tests.sandbox.sandbox_kit import GRAPH


async def test_report_redirects_to_csv_on_another_host(client, app):
    r = await client.get("/v1.0/reports/getOffice365ActiveUserDetail(period='D7')")
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith("https://reportsncu.office.com/data/download/")
    download = await client.get(location)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 250
    assert rows[0]["User Principal Name"] == app.state.tenant.users[0]["userPrincipalName"]
    followed = await client.get(
        "/v1.0/reports/getOffice365ActiveUserDetail(period='D7')", follow_redirects=True
    )
    assert followed.content == download.content
    bad = await client.get("/v1.0/reports/getOffice365ActiveUserDetail(period='D8')")
    assert bad.status_code == 400


async def test_delta_round_then_changes_then_removed(client, app):
    url = "/v1.0/users/delta?$select=displayName"
    ids, pages = [], 0
    while True:
        body = (await client.get(url)).json()
        pages += 1
        ids += [u["id"] for u in body["value"]]
        if "@odata.deltaLink" in body:
            delta_link = body["@odata.deltaLink"]
            break
        url = body["@odata.nextLink"]
        assert url.startswith(f"{GRAPH}/v1.0/users/delta?$skiptoken=")
    assert pages == 3 and sorted(ids) == sorted(u["id"] for u in app.state.tenant.users)
    assert (await client.get(delta_link)).json()["value"] == []
    victim, renamed = app.state.tenant.users[3], app.state.tenant.users[4]
    await client.patch(f"/v1.0/users/{renamed['id']}", json={"displayName": "Renamed"})
    await client.delete(f"/v1.0/users/{victim['id']}")
    changes = (await client.get(delta_link)).json()
    assert changes["value"] == [
        {"displayName": "Renamed", "id": renamed["id"]},
        {"id": victim["id"], "@removed": {"reason": "changed"}},
    ]
    latest = (await client.get("/v1.0/users/delta?$deltatoken=latest")).json()
    assert latest["value"] == [] and "@odata.deltaLink" in latest
    assert (await client.get("/v1.0/users/delta?$deltatoken=forged")).status_code == 400


def test_served_report_downloads_stay_on_loopback():
    assert download_origin("https://graph.microsoft.com") == "https://reportsncu.office.com"
    assert download_origin("http://127.0.0.1:8765") == "http://localhost:8765"
    assert download_origin("http://localhost:8765") == "http://127.0.0.1:8765"


async def test_delta_token_expires_by_the_sandbox_clock_with_graphs_410(client, app):
    from graph_magic.sandbox.routes.delta import TOKEN_LIFETIME

    service = app.state.service
    issued = service.fixed_now()
    body = (await client.get("/v1.0/users/delta?$deltatoken=latest")).json()
    delta_link = body["@odata.deltaLink"]
    service.fixed_now = lambda: issued + TOKEN_LIFETIME - 5  # still valid just before 7 days
    assert (await client.get(delta_link)).status_code == 200
    service.fixed_now = lambda: issued + TOKEN_LIFETIME + 5
    expired = await client.get(delta_link)
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "syncStateNotFound"
    location = expired.headers["location"]
    assert location == f"{GRAPH}/v1.0/users/delta?$deltatoken="
    fresh = (await client.get(location)).json()  # the empty token starts a full round
    assert len(fresh["value"]) == 100 and "@odata.nextLink" in fresh
