"""Delta rounds on groups (with members@delta), applications and service principals: the
rounds, the changes since a deltaLink, removals, permissions, and the connector's merge rule
applied to what the sandbox answers."""

from __future__ import annotations

import httpx

from graph_magic.connector.delta_merge import merge_delta
from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

META = "https://graph.microsoft.com/v1.0/$metadata#"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


async def full_round(client, url):
    """Every item of a round over its nextLinks, and the deltaLink that ends it."""
    items = []
    while True:
        body = (await client.get(url)).json()
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


async def test_groups_delta_first_round_lists_every_group_with_its_members(client, app):
    tenant = app.state.tenant
    first = (await client.get("/v1.0/groups/delta")).json()
    assert first["@odata.context"] == META + "groups"
    items, link = await full_round(client, "/v1.0/groups/delta")
    assert link.startswith(f"{GRAPH}/v1.0/groups/delta?$deltatoken=")
    assert [g["id"] for g in items] == [g["id"] for g in tenant.groups]
    group = items[0]
    assert group["displayName"] == tenant.groups[0]["displayName"]
    assert [m["id"] for m in group["members@delta"]] == tenant.members[group["id"]]
    assert {m["@odata.type"] for m in group["members@delta"]} <= {
        "#microsoft.graph.user",
        "#microsoft.graph.group",
    }


async def test_groups_delta_select_without_members_tracks_properties_only(client):
    body = (await client.get("/v1.0/groups/delta?$select=displayName,mailNickname")).json()
    assert body["@odata.context"] == META + "groups(displayName,mailNickname,id)"
    assert set(body["value"][0]) == {"displayName", "mailNickname", "id"}
    only = (await client.get("/v1.0/groups/delta?$select=members")).json()["value"][0]
    assert set(only) == {"id", "members@delta"}


async def test_groups_delta_later_round_has_changed_members_and_merges(client, app):
    tenant = app.state.tenant
    items, link = await full_round(client, "/v1.0/groups/delta?$select=displayName,members")
    stored, _ = merge_delta({}, items)
    group = tenant.groups[0]
    leaving = tenant.members[group["id"]][0]
    joining = next(u["id"] for u in tenant.users if u["id"] not in tenant.members[group["id"]])
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{joining}"}
    assert (
        await client.post(f"/v1.0/groups/{group['id']}/members/$ref", json=ref)
    ).status_code == 204
    r = await client.delete(f"/v1.0/groups/{group['id']}/members/{leaving}/$ref")
    assert r.status_code == 204
    doomed = tenant.groups[1]["id"]
    assert (await client.delete(f"/v1.0/groups/{doomed}")).status_code == 204
    changes, _ = await full_round(client, link)
    (changed,) = [c for c in changes if "@removed" not in c]
    assert changed["id"] == group["id"]
    assert changed["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": joining},
        {"@odata.type": "#microsoft.graph.user", "id": leaving, "@removed": {"reason": "deleted"}},
    ]
    assert [c for c in changes if "@removed" in c] == [
        {"id": doomed, "@removed": {"reason": "changed"}}
    ]
    merged, counts = merge_delta(stored, changes)
    assert merged[group["id"]]["members"] == tenant.members[group["id"]]
    assert doomed not in merged and (counts.changed, counts.removed) == (1, 1)


async def test_application_and_service_principal_delta_rounds(client, app):
    tenant = app.state.tenant
    for kind, items_of in (
        ("applications", tenant.applications),
        ("servicePrincipals", tenant.service_principals),
    ):
        body = (await client.get(f"/v1.0/{kind}/delta?$select=displayName,appId")).json()
        assert body["@odata.context"] == META + f"{kind}(displayName,appId,id)"
        items, link = await full_round(client, f"/v1.0/{kind}/delta?$select=displayName,appId")
        assert [i["appId"] for i in items] == [o["appId"] for o in items_of]
        assert link.startswith(f"{GRAPH}/v1.0/{kind}/delta?$deltatoken=")
        assert (await client.get(link)).json()["value"] == []


async def test_delta_tokens_do_not_cross_collections_and_reads_need_permission(client, app):
    _, users_link = await full_round(client, "/v1.0/users/delta?$select=displayName")
    token = users_link.split("$deltatoken=")[1]
    r = await client.get(f"/v1.0/groups/delta?$deltatoken={token}")
    assert error_of(r) == (400, "Request_BadRequest", "The delta token or skip token is not valid.")
    user = app.state.tenant.users[2]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url=GRAPH,
        headers=delegated(app, user, ("User.Read",)),
    ) as c:
        assert error_of(await c.get("/v1.0/groups/delta")) == DENIED
        assert error_of(await c.get("/v1.0/applications/delta")) == DENIED
