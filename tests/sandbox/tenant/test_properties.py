"""Every directory type the sandbox serves carries the whole v1.0 property set its metadata
declares, read from the knowledge index rather than listed by hand."""

from __future__ import annotations

import pytest

from graph_magic.knowledge import Knowledge
from graph_magic.sandbox import create_app

TYPES = {
    "applications": "application",
    "servicePrincipals": "servicePrincipal",
    "groups": "group",
    "devices": "device",
    "directoryRoles": "directoryRole",
    "organization": "organization",
}


def declared(type_name: str) -> set[str]:
    """The type's properties per Graph's metadata, streams left out (never JSON)."""
    props = Knowledge.for_cloud("global").properties(type_name)
    return {p.name for p in props if p.type != "Edm.Stream"}


@pytest.mark.parametrize("collection", sorted(TYPES))
def test_served_type_knows_every_declared_property(collection):
    spec = create_app().state.service.engine.specs[collection]
    known = set(spec.properties) | set(spec.single_only)
    assert declared(TYPES[collection]) - known == set()


@pytest.mark.parametrize("collection", ["applications", "servicePrincipals", "groups", "devices"])
def test_every_stored_object_carries_them(collection):
    tenant = create_app().state.tenant
    wanted = declared(TYPES[collection])
    for obj in tenant.collection(collection):
        assert wanted - set(obj) == set(), obj["id"]


async def test_an_application_shows_the_full_set_and_a_group_only_its_default(client):
    app = (await client.get("/v1.0/applications?$top=1")).json()["value"][0]
    assert declared("application") - set(app) == set()
    assert app["parentalControlSettings"] == {
        "countriesBlockedForMinors": [],
        "legalAgeGroupRule": "Allow",
    }
    group = (await client.get("/v1.0/groups?$top=1")).json()["value"][0]
    assert "assignedLicenses" not in group and "unseenCount" not in group
    picked = await client.get("/v1.0/groups?$top=1&$select=assignedLicenses,organizationId")
    assert set(picked.json()["value"][0]) == {"assignedLicenses", "organizationId", "id"}


async def test_single_group_only_properties_are_501_on_the_list(client):
    listed = await client.get("/v1.0/groups?$select=unseenCount")
    assert listed.status_code == 501
    assert listed.json()["error"]["message"] == "This operation target is not yet supported."
    group_id = (await client.get("/v1.0/groups?$top=1")).json()["value"][0]["id"]
    one = (await client.get(f"/v1.0/groups/{group_id}?$select=unseenCount,isArchived")).json()
    assert (one["unseenCount"], one["isArchived"]) == (0, False)


def test_new_data_leaves_the_generated_bytes_alone():
    """The directory core draws from its own streams: the first user and group are the ones
    the same seed always made (ids pinned from before the core existed)."""
    tenant = create_app().state.tenant
    assert [u["id"] for u in tenant.users[:2]] == FIRST_USERS
    assert tenant.groups[0]["id"] == FIRST_GROUP


FIRST_USERS = ["f8a812d0-0f2b-49f9-a6c1-fe48b141067c", "1cdce8e1-1446-4b60-a777-b71e2ef5b892"]
FIRST_GROUP = "42fd649e-e439-4bfb-abaa-a37392abef33"
