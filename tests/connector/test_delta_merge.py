"""delta_merge.py: Graph's delta merge rule, one test per rule."""

from __future__ import annotations

import pytest

from graph_magic.connector.delta_merge import DeltaCounts, merge_delta

ADELE = {"id": "u1", "displayName": "Adele", "jobTitle": "Analyst"}
ALEX = {"id": "u2", "displayName": "Alex", "jobTitle": "Engineer"}


def test_first_round_adds_every_object() -> None:
    merged, counts = merge_delta({}, [ADELE, ALEX])
    assert merged == {"u1": ADELE, "u2": ALEX}
    assert counts == DeltaCounts(added=2, changed=0, removed=0)


def test_changed_object_replaces_the_stored_one_by_id() -> None:
    stored = {"u1": ADELE, "u2": ALEX}
    merged, counts = merge_delta(stored, [{"id": "u1", "displayName": "Adele V."}])
    assert merged["u1"] == {"id": "u1", "displayName": "Adele V."}  # replaced, not patched
    assert merged["u2"] == ALEX
    assert counts == DeltaCounts(added=0, changed=1, removed=0)
    assert stored["u1"] == ADELE  # the stored state is not touched


def test_removed_object_leaves_and_unknown_removal_counts_nothing() -> None:
    stored = {"u1": ADELE, "u2": ALEX}
    changes = [
        {"id": "u2", "@removed": {"reason": "changed"}},
        {"id": "u9", "@removed": {"reason": "deleted"}},
    ]
    merged, counts = merge_delta(stored, changes)
    assert list(merged) == ["u1"]
    assert counts == DeltaCounts(added=0, changed=0, removed=1)


def test_replayed_unchanged_object_is_not_counted_as_changed() -> None:
    merged, counts = merge_delta({"u1": ADELE}, [dict(ADELE), dict(ADELE)])
    assert merged == {"u1": ADELE}
    assert counts == DeltaCounts(added=0, changed=0, removed=0)


def test_added_then_removed_in_one_round_counts_nothing() -> None:
    changes = [ALEX, {"id": "u2", "@removed": {"reason": "deleted"}}]
    merged, counts = merge_delta({"u1": ADELE}, changes)
    assert merged == {"u1": ADELE}
    assert counts == DeltaCounts(added=0, changed=0, removed=0)


def test_members_delta_split_over_pages_accumulates_in_the_first_round() -> None:
    page_one = {"id": "g1", "displayName": "Sales", "members@delta": [{"id": "u1"}]}
    page_two = {"id": "g1", "members@delta": [{"id": "u2"}]}
    merged, counts = merge_delta({}, [page_one, page_two])
    assert merged["g1"]["members"] == ["u1", "u2"]
    assert "members@delta" not in merged["g1"]
    assert counts == DeltaCounts(added=1, changed=0, removed=0)


def test_members_delta_applies_additions_and_removals_to_stored_members() -> None:
    stored = {"g1": {"id": "g1", "displayName": "Sales", "members": ["u1", "u2"]}}
    change = {
        "id": "g1",
        "displayName": "Sales",
        "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u3"},
            {"@odata.type": "#microsoft.graph.user", "id": "u1", "@removed": {"reason": "deleted"}},
        ],
    }
    merged, counts = merge_delta(stored, [change])
    assert merged["g1"]["members"] == ["u2", "u3"]
    assert counts == DeltaCounts(added=0, changed=1, removed=0)


def test_a_round_without_members_delta_keeps_the_stored_members() -> None:
    stored = {"g1": {"id": "g1", "displayName": "Sales", "members": ["u1"]}}
    merged, counts = merge_delta(stored, [{"id": "g1", "displayName": "Sales EMEA"}])
    assert merged["g1"] == {"id": "g1", "displayName": "Sales EMEA", "members": ["u1"]}
    assert counts == DeltaCounts(added=0, changed=1, removed=0)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"displayName": "no id"}, "no string 'id'"),
        ({"id": "g1", "members@delta": {"id": "u1"}}, "not a list"),
        ({"id": "g1", "members@delta": [{"@removed": {}}]}, "member has no string 'id'"),
    ],
)
def test_malformed_items_are_named_errors(item: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        merge_delta({}, [item])
