"""Listing users and groups: default properties, $select, paging, $top bounds, skiptokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.sandbox.sandbox_kit import EVENTUAL, error_of

DEFAULT = [
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
]  # fmt: skip
JSON_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


async def test_users_default_page_has_the_eleven_default_properties(client):
    r = await client.get("/v1.0/users")
    body = r.json()
    assert r.status_code == 200
    assert r.headers["content-type"] == JSON_TYPE
    assert r.headers["odata-version"] == "4.0"
    assert body["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users"
    assert len(body["value"]) == 100
    assert all(list(u) == DEFAULT for u in body["value"])
    assert "@odata.count" not in body


async def test_select_shapes_items_and_context(client):
    r = await client.get("/v1.0/users", params={"$select": "displayName,accountEnabled", "$top": 3})
    body = r.json()
    assert body["@odata.context"].endswith("#users(displayName,accountEnabled)")
    assert [sorted(u) for u in body["value"]] == [["accountEnabled", "displayName", "id"]] * 3


async def test_paging_through_all_users_visits_each_once(client, app):
    seen, url, pages = [], "/v1.0/users?$top=37&$select=id", 0
    while url:
        body = (await client.get(url)).json()
        seen += [u["id"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith("https://graph.microsoft.com/v1.0/users?")
            assert parse_qs(urlsplit(url).query)["$top"] == ["37"]
    assert pages == -(-250 // 37)
    assert seen == [u["id"] for u in app.state.tenant.users]


async def test_top_out_of_range_is_graphs_page_size_error(client):
    r = await client.get("/v1.0/users?$top=1000")
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    )
    assert r.headers["content-type"] == "application/json"


async def test_sign_ins_default_and_max_page_is_1000(client):
    body = (await client.get("/v1.0/auditLogs/signIns")).json()
    assert len(body["value"]) == 1000
    assert body["@odata.context"].endswith("#auditLogs/signIns")
    stamps = [s["createdDateTime"] for s in body["value"]]
    assert stamps == sorted(stamps, reverse=True)
    assert (await client.get("/v1.0/auditLogs/signIns?$top=1001")).status_code == 400


async def test_tampered_skiptoken_is_400(client):
    link = (await client.get("/v1.0/users?$top=5")).json()["@odata.nextLink"]
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    r = await client.get("/v1.0/users", params={"$top": "5", "$skiptoken": forged})
    assert error_of(r)[:2] == (400, "Directory_ExpiredPageToken")
    r = await client.get("/v1.0/users", params={"$top": "6", "$skiptoken": token})
    assert r.status_code == 400, "a token is bound to the query that produced it"


async def test_count_option_needs_header_else_silently_absent(client):
    plain = (await client.get("/v1.0/users?$count=true&$top=1")).json()
    assert "@odata.count" not in plain
    body = (await client.get("/v1.0/users?$count=true&$top=1", headers=EVENTUAL)).json()
    assert body["@odata.count"] == 250
    assert list(body)[:3] == ["@odata.context", "@odata.count", "@odata.nextLink"]
    second = (await client.get(body["@odata.nextLink"], headers=EVENTUAL)).json()
    assert "@odata.count" not in second


async def test_count_path_is_text_plain_and_needs_header(client):
    r = await client.get("/v1.0/users/$count", headers=EVENTUAL)
    assert r.status_code == 200 and r.text == "250"
    assert r.headers["content-type"].startswith("text/plain")
    assert error_of(await client.get("/v1.0/users/$count")) == (
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    )
    groups = await client.get("/v1.0/groups/$count", headers=EVENTUAL)
    assert groups.text == "40"


async def test_beta_accepts_options_without_dollar(client):
    body = (await client.get("/beta/users?select=displayName&top=2")).json()
    assert body["@odata.context"] == (
        "https://graph.microsoft.com/beta/$metadata#users(displayName)"
    )
    assert len(body["value"]) == 2


async def test_unknown_select_property_and_single_only_property(client):
    assert error_of(await client.get("/v1.0/users?$select=nope"))[:2] == (
        400,
        "Request_BadRequest",
    )
    r = await client.get("/v1.0/users?$select=aboutMe")
    assert r.status_code == 501


async def test_skip_is_refused_on_directory_objects(client):
    assert error_of(await client.get("/v1.0/users?$skip=5")) == (
        400,
        "Request_BadRequest",
        "'$skip' is not supported by the service.",
    )


async def test_groups_devices_apps_service_principals_skus(client):
    groups = (await client.get("/v1.0/groups?$top=999")).json()["value"]
    assert len(groups) == 40
    assert {tuple(g["groupTypes"]) for g in groups} == {("Unified",), ()}
    devices = (await client.get("/v1.0/devices")).json()
    assert len(devices["value"]) == 100 and "@odata.nextLink" in devices
    apps = (await client.get("/v1.0/applications")).json()["value"]
    sps = (await client.get("/v1.0/servicePrincipals")).json()["value"]
    assert {a["appId"] for a in apps} <= {s["appId"] for s in sps}
    skus = (await client.get("/v1.0/subscribedSkus")).json()["value"]
    assert all(s["id"].endswith("_" + s["skuId"]) for s in skus)
    r = await client.get("/v1.0/subscribedSkus?$filter=skuPartNumber eq 'EMS'")
    assert r.status_code == 400
