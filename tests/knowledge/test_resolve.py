"""Paths, types and completion candidates, asserted against the index that ships."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph_magic.knowledge import Knowledge, UnknownCloudError, UnknownTypeError, split_path


def test_users_is_a_collection_of_user_with_inherited_properties(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/users")
    assert resolution.known
    assert (resolution.type, resolution.collection) == ("microsoft.graph.user", True)
    properties = {p.name: p for p in knowledge.properties(resolution.type)}
    assert properties["displayName"].declared_by == "microsoft.graph.user"
    assert properties["id"].declared_by == "microsoft.graph.entity"
    assert properties["deletedDateTime"].declared_by == "microsoft.graph.directoryObject"
    assert properties["businessPhones"].collection
    assert properties["businessPhones"].type == "Edm.String"


def test_a_cast_after_a_navigation_reaches_the_derived_type(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/users/{id}/memberOf/microsoft.graph.group")
    assert resolution.known
    assert (resolution.type, resolution.collection) == ("microsoft.graph.group", True)
    assert [step.kind for step in resolution.steps] == ["entitySet", "key", "navigation", "cast"]
    assert resolution.steps[2].type == "microsoft.graph.directoryObject"


@pytest.mark.parametrize(
    ("path", "type_name", "collection"),
    [
        ("/me", "microsoft.graph.user", False),
        ("/me/messages", "microsoft.graph.message", True),
        ("users/abc@contoso.com/manager", "microsoft.graph.directoryObject", False),
        ("/users('abc')/memberOf", "microsoft.graph.directoryObject", True),
        ("/users/$count", "Edm.Int32", False),
        ("/users/abc/manager/$ref", "microsoft.graph.directoryObject", False),
        ("/me/photo/$value", "Edm.Stream", False),
        ("/users/delta()", "microsoft.graph.user", True),
        ("/me/drive/root:/folder/a.txt:/content", "Edm.Stream", False),
        ("/v1.0/groups/{id}/members/microsoft.graph.user/$count?$top=1", "Edm.Int32", False),
        ("/users/{id}/getMemberGroups", "Edm.String", True),
    ],
)
def test_paths_resolve(knowledge: Knowledge, path: str, type_name: str, collection: bool) -> None:
    resolution = knowledge.resolve(path)
    assert resolution.known, resolution
    assert (resolution.type, resolution.collection) == (type_name, collection)


def test_me_is_a_singleton(knowledge: Knowledge) -> None:
    assert knowledge.resolve("/me").steps[0].kind == "singleton"


def test_a_function_call_with_arguments(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("reports/getEmailActivityUserDetail(period='D7')")
    assert resolution.known
    assert resolution.steps[-1].kind == "function"
    assert resolution.steps[-1].text == "getEmailActivityUserDetail(period='D7')"


def test_a_misspelt_segment_stops_with_did_you_mean(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/me/displayname2")
    assert not resolution.known
    assert (resolution.stopped_at, resolution.unknown) == (1, "displayname2")
    assert resolution.suggestions[0] == "displayName"
    assert resolution.type == "microsoft.graph.user"


def test_an_unknown_root_suggests_entity_sets(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/userz/abc")
    assert (resolution.known, resolution.stopped_at, resolution.type) == (False, 0, None)
    assert "users" in resolution.suggestions


def test_a_cast_to_an_unrelated_type_is_unknown(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/me/manager/microsoft.graph.message")
    assert (resolution.known, resolution.stopped_at) == (False, 2)


def test_children_at_the_root_are_entity_sets_and_singletons(knowledge: Knowledge) -> None:
    children = {child.name: child for child in knowledge.children("/")}
    assert children["users"].kind == "entitySet"
    assert children["me"].kind == "singleton"
    assert children["me"].type == "microsoft.graph.user"


def test_children_of_a_collection_and_of_an_entity(knowledge: Knowledge) -> None:
    after_users = {child.name: child.kind for child in knowledge.children("/users")}
    assert after_users["{id}"] == "key"
    assert after_users["delta"] == "function"
    assert after_users["$count"] == "count"
    after_member_of = {child.name: child.kind for child in knowledge.children("/me/memberOf")}
    assert after_member_of["microsoft.graph.group"] == "cast"
    after_user = {child.name: child.kind for child in knowledge.children("/users/{id}")}
    assert after_user["memberOf"] == "navigation"
    assert after_user["manager"] == "navigation"
    assert after_user["getMemberGroups"] == "action"
    assert after_user["assignLicense"] == "action"
    assert "displayName" not in after_user
    assert knowledge.children("/nowhere") == ()


def test_navigation_and_bound_operations(knowledge: Knowledge) -> None:
    navigation = {n.name: n for n in knowledge.navigation("user")}
    assert navigation["messages"].collection and navigation["messages"].contains_target
    assert not navigation["manager"].collection and not navigation["manager"].contains_target
    on_user = {op.name: op for op in knowledge.bound_operations("user")}
    assert on_user["getMemberGroups"].binding_type == "microsoft.graph.directoryObject"
    assert on_user["getMemberGroups"].kind == "action"
    on_users = {op.name: op for op in knowledge.bound_operations("user", collection=True)}
    assert on_users["delta"].collection_bound and on_users["delta"].return_collection
    assert "getMemberGroups" not in on_users


def test_enum_members(knowledge: Knowledge) -> None:
    assert knowledge.enum_members("message", "importance") == ("low", "normal", "high")
    assert knowledge.enum_members("microsoft.graph.bodyType") == ("text", "html")
    assert knowledge.enum_members("message", "subject") == ()


def test_type_names_short_qualified_and_unknown(knowledge: Knowledge) -> None:
    assert knowledge.type_name("graph.user") == "microsoft.graph.user"
    assert knowledge.type_name("USER") == "microsoft.graph.user"
    assert "microsoft.graph.group" in knowledge.derived_types("directoryObject")
    with pytest.raises(UnknownTypeError) as raised:
        knowledge.properties("usr")
    assert "microsoft.graph.user" in raised.value.suggestions


def test_clouds_load_and_differ_where_their_metadata_differs() -> None:
    usgov, usgovdod, china = (Knowledge.for_cloud(c) for c in ("usgov", "usgovdod", "china"))
    assert usgov.schema is usgovdod.schema
    assert Knowledge.for_cloud("global") is Knowledge.for_cloud("global")
    assert china.resolve("/users").type == "microsoft.graph.user"
    assert Knowledge.for_cloud("global").resolve("/planner/plans").known
    assert not china.resolve("/planner/plans").known
    with pytest.raises(UnknownCloudError):
        Knowledge.for_cloud("beta")


def test_split_path_keeps_arguments_and_addresses_whole() -> None:
    segments = split_path("/drives/{id}/root:/a/b c.txt:/workbook/range(address='A1/B2')")
    assert [s.name for s in segments] == [
        "drives",
        "{id}",
        "root",
        "/a/b c.txt",
        "workbook",
        "range",
    ]
    assert segments[3].address
    assert segments[5].args == (("address", "'A1/B2'"),)
    assert split_path("users('x@y')")[0].key == "x@y"
    assert [s.name for s in split_path("https://graph.microsoft.com/v1.0/me/")] == ["me"]


def test_the_root_and_odd_input(knowledge: Knowledge) -> None:
    assert knowledge.resolve("").known and knowledge.resolve("/").type is None
    assert knowledge.children("") == knowledge.children("/")
    assert knowledge.children("/users/") == knowledge.children("/users")
    assert not knowledge.resolve("/me/messages(").known
    assert knowledge.resolve("/me/messages('AAMk')/attachments").collection


@pytest.mark.parametrize(
    ("cloud", "csdl"),
    [("global", "v1.0-Prod.csdl"), ("usgov", "v1.0-Fairfax.csdl"), ("china", "v1.0-Mooncake.csdl")],
)
def test_each_cloud_has_the_roots_and_functions_of_its_own_csdl(
    source: Path, cloud: str, csdl: str
) -> None:
    text = (source / csdl).read_text(encoding="utf-8")
    roots = set(re.findall(r'<(?:EntitySet|Singleton) Name="([^"]+)"', text))
    knowledge = Knowledge.for_cloud(cloud)
    assert {child.name for child in knowledge.children("/")} == roots
    report = knowledge.resolve("/reports/getEmailActivityUserDetail(period='D7')")
    assert report.known == ('Name="getEmailActivityUserDetail"' in text)


def test_a_type_that_cannot_stand_after_a_collection_is_not_a_key(knowledge: Knowledge) -> None:
    resolution = knowledge.resolve("/users/x/memberOf/microsoft.graph.message")
    assert (resolution.known, resolution.stopped_at) == (False, 3)
    assert knowledge.resolve("/users/adele.vance@contoso.com").steps[-1].kind == "key"


@pytest.mark.parametrize("cloud", ["global", "usgov", "usgovdod", "china"])
def test_each_clouds_metadata_document_ships_whole(cloud: str) -> None:
    document = Knowledge.for_cloud(cloud).metadata_document()
    assert document.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b'<EntitySet Name="users" EntityType="microsoft.graph.user">' in document
    with pytest.raises(UnknownCloudError, match="no Graph metadata for cloud 'mars'"):
        Knowledge.for_cloud("mars").metadata_document()


def test_the_service_roots_own_resources_are_known(knowledge: Knowledge) -> None:
    for path in ("/$metadata", "/$batch", "https://graph.microsoft.com/v1.0/$METADATA"):
        resolution = knowledge.resolve(path)
        assert resolution.known and resolution.type is None
    assert not knowledge.resolve("/$metadata/users").known


def test_suggestions_can_be_skipped_when_only_knowing_matters(knowledge: Knowledge) -> None:
    quick = knowledge.resolve("/groups/g1/ownerz", suggestions=False)
    full = knowledge.resolve("/groups/g1/ownerz")
    assert (quick.known, quick.stopped_at, quick.suggestions) == (False, 2, ())
    assert "owners" in full.suggestions
