"""``%graph describe``: a path's or a type's members from the metadata, as a titled DataFrame."""

from __future__ import annotations

import pytest

from graph_magic.knowledge import Knowledge
from graph_magic.notebook.commands.describe import Description, describe, describe_frame
from graph_magic.notebook.errors import GraphUsageError

GLOBAL = Knowledge.for_cloud("global")


def _described(target: str) -> Description:
    shown: list[object] = []
    describe(GLOBAL, target, shown.append)
    (only,) = shown
    assert isinstance(only, Description)
    return only


@pytest.mark.parametrize("name", ["user", "microsoft.graph.user", "User"])
def test_a_type_name_short_or_qualified_lists_its_members(name: str) -> None:
    shown = _described(name)
    assert shown.title == "microsoft.graph.user (global v1.0)"
    rows = set(shown.frame[["kind", "name"]].itertuples(index=False, name=None))
    assert ("property", "displayName") in rows
    assert ("property", "id") in rows  # inherited from entity
    assert ("navigation", "manager") in rows
    assert ("function (collection)", "delta()") in rows
    assert ("action", "getMemberGroups(securityEnabledOnly)") in rows


def test_a_collection_path_lists_the_collection_bound_operations() -> None:
    shown = _described("/users")
    assert shown.title == "/users: Collection(microsoft.graph.user) (global v1.0)"
    kinds = set(shown.frame["kind"])
    assert {"property", "navigation", "function", "action"} <= kinds
    assert "delta()" in set(shown.frame["name"])
    assert "getMemberGroups(securityEnabledOnly)" not in set(shown.frame["name"])


def test_a_navigation_path_describes_where_it_leads() -> None:
    shown = _described("/users/{id}/manager")
    assert shown.title.startswith("/users/{id}/manager: microsoft.graph.directoryObject")
    frame = shown.frame
    assert list(frame.columns) == ["kind", "name", "type", "declared by"]
    row = frame[frame["name"] == "deletedDateTime"].iloc[0]
    assert (row["type"], row["declared by"]) == ("Edm.DateTimeOffset", "directoryObject")


def test_the_text_form_is_a_title_line_then_aligned_rows() -> None:
    text = repr(_described("/users/{id}/manager"))
    lines = text.splitlines()
    assert lines[0] == "/users/{id}/manager: microsoft.graph.directoryObject (global v1.0)"
    assert lines[1].split() == ["kind", "name", "type", "declared", "by"]
    assert any(line.split()[:2] == ["property", "id"] for line in lines)
    assert text == repr(_described("/users/{id}/manager"))  # deterministic, for nbval
    assert "<table" in _described("user")._repr_html_()


def test_an_entity_set_named_without_its_slash_is_a_path() -> None:
    assert _described("users").title == "/users: Collection(microsoft.graph.user) (global v1.0)"
    assert _described("me").title == "/me: microsoft.graph.user (global v1.0)"


def test_an_enum_lists_its_members() -> None:
    frame = describe_frame(GLOBAL, "microsoft.graph.riskLevel", None)
    assert list(frame["kind"].unique()) == ["member"]
    assert "medium" in set(frame["name"])


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("/users/abc/managr", ["unknown segment 'managr'", "did you mean manager"]),
        ("/userz", ["unknown segment 'userz'", "did you mean users"]),
        ("usr", ["unknown type or path 'usr'", "did you mean", "microsoft.graph.user"]),
    ],
)
def test_an_unknown_path_or_type_is_a_usage_error_with_did_you_mean(
    target: str, words: list[str]
) -> None:
    with pytest.raises(GraphUsageError) as info:
        describe(GLOBAL, target, print)
    for word in words:
        assert word in str(info.value)
