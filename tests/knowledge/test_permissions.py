"""Permissions for a method and path, checked against Microsoft's permissions.json itself."""

from __future__ import annotations

import pytest

from graph_magic.knowledge import Knowledge

Map = dict[str, dict[str, object]]


def _marked(permission_map: Map, method: str, path: str, scheme: str) -> tuple[set[str], set[str]]:
    """(least-marked, all) permissions the map lists for exactly ``method path`` in ``scheme``."""
    least: set[str] = set()
    allowed: set[str] = set()
    for name, entry in permission_map.items():
        for path_set in entry["pathSets"]:  # type: ignore[attr-defined]
            if method not in path_set["methods"] or scheme not in path_set["schemeKeys"]:
                continue
            if path in path_set["paths"]:
                allowed.add(name)
                marks = path_set["paths"][path].split(";")[0]
                if marks.startswith("least=") and scheme in marks[len("least=") :].split(","):
                    least.add(name)
    return least, allowed


@pytest.mark.parametrize(
    ("path", "template"), [("/users", "/users"), ("/users/abc/memberOf", "/users/{id}/memberof")]
)
def test_answers_are_what_the_map_says(
    knowledge: Knowledge, permission_map: Map, path: str, template: str
) -> None:
    answer = knowledge.permissions("GET", path)
    for scheme, given in (("Application", answer.application), ("DelegatedWork", answer.delegated)):
        least, allowed = _marked(permission_map, "GET", template, scheme)
        assert set(given.least) == least
        assert set(given.all) == allowed


def test_get_users_least_privileged_and_known_facts(knowledge: Knowledge) -> None:
    answer = knowledge.permissions("get", "/users")
    assert answer.known and answer.template == "users"
    assert answer.application.least[0] == "User.ReadBasic.All"  # privilege level 3 of 4
    assert "User.Read.All" in answer.application.others
    assert "User.Read.All" in answer.delegated.all
    assert knowledge.allows("GET", "/users", roles=["User.Read.All"]) is True
    assert knowledge.allows("GET", "/users", roles=["Mail.Read"]) is False


def test_me_paths_match_the_me_templates(knowledge: Knowledge) -> None:
    answer = knowledge.permissions("GET", "/me")
    assert answer.delegated.least == ("User.Read",)
    assert answer.application.all == ()
    messages = knowledge.permissions("GET", "/me/messages")
    assert messages.template == "me/messages"
    assert "Mail.Read" in messages.delegated.all
    assert knowledge.allows("GET", "/me", scopes=["user.read"]) is True


def test_concrete_values_map_onto_templates(knowledge: Knowledge) -> None:
    assert knowledge.permissions("GET", "/users/delta").template == "users/delta"
    report = knowledge.permissions("GET", "reports/getEmailActivityUserDetail(period='D7')")
    assert report.template == "reports/getemailactivityuserdetail(period)"
    assert "Reports.Read.All" in report.application.least
    content = knowledge.permissions("GET", "/me/drive/root:/Reports/q1.xlsx:/content")
    assert content.template == "me/drive/root/{path}/content"
    assert knowledge.permissions("GET", "/users/$count").template == "users"


def test_a_cast_is_the_relationship_it_narrows_and_ref_the_relationship(
    knowledge: Knowledge,
) -> None:
    cast = knowledge.permissions("GET", "/users/abc/memberOf/microsoft.graph.group/$count")
    assert cast.template == "users/{id}/memberof"  # not users/{id}/memberof/{id}: no key
    assert cast.application == knowledge.permissions("GET", "/users/abc/memberOf").application
    literal = "/applications/microsoft.graph.agentIdentityBlueprint/abc/sponsors/$ref"
    assert knowledge.permissions("POST", literal).template == (
        "applications/microsoft.graph.agentidentityblueprint/{id}/sponsors/$ref"
    )
    ref = knowledge.permissions("DELETE", "/groups/g1/members/u1/$ref")
    assert ref.template == "groups/{id}/members/{id}"
    assert ref.application.least == ("GroupMember.ReadWrite.All",)


def test_an_unknown_request_gets_no_answer(knowledge: Knowledge) -> None:
    answer = knowledge.permissions("GET", "/nowhere/at/all")
    assert not answer.known
    assert answer.application.all == answer.delegated.all == ()
    assert knowledge.allows("GET", "/nowhere/at/all", roles=["User.Read.All"]) is None
    assert not knowledge.permissions("PUT", "/users").known


def test_a_permission_that_needs_another_counts_only_with_it(
    knowledge: Knowledge, permission_map: Map
) -> None:
    path = "/agentRegistry/agentInstances/{id}/agentCardManifest"
    entry = permission_map["AgentCardManifest.Read.All"]["pathSets"]  # type: ignore[index]
    marks = next(
        s["paths"][path] for s in entry if "Application" in s["schemeKeys"] and path in s["paths"]
    )
    needed = marks.split("AlsoRequires=")[1].split(",")
    answer = knowledge.permissions("GET", path)
    also = dict(answer.application.also_requires)
    assert also["AgentCardManifest.Read.All"] == tuple(sorted(needed))
    alone = ["AgentCardManifest.Read.All"]
    assert knowledge.allows("GET", path, roles=alone) is False
    assert knowledge.allows("GET", path, roles=[*alone, needed[0]]) is True


def test_a_me_path_the_map_lacks_is_read_as_users_id(
    knowledge: Knowledge, permission_map: Map
) -> None:
    templates = {
        path.lower()
        for entry in permission_map.values()
        for path_set in entry["pathSets"]  # type: ignore[attr-defined]
        if "GET" in path_set["methods"]
        for path in path_set["paths"]
    }
    rest = next(
        t[len("/users/{id}/") :]
        for t in sorted(templates)
        if t.startswith("/users/{id}/")
        and "{" not in t[len("/users/{id}/") :]
        and f"/me/{t[len('/users/{id}/') :]}" not in templates
    )
    answer = knowledge.permissions("GET", f"/me/{rest}")
    assert answer.template == f"users/{{id}}/{rest}"
    assert answer.application.all == ()
