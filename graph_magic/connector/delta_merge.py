"""Graph's delta merge rule: fold one delta round into the objects stored by earlier rounds.

This is the one place the rule lives (the notebook's ``--delta`` only stores and displays what it
returns). Graph's rule [delta-query-overview.md]: an object in a round replaces the stored one with
the same ``id`` (the default answer repeats every selected property); ``{"id", "@removed"}``
takes it out; a relationship annotation such as ``members@delta`` lists only the members that
changed, so it is applied to the stored member ids (added, or left when ``@removed``) instead of
replacing them. The same object can appear more than once in a round (Graph splits a group's
members over pages and may replay), so a round is folded item by item and counted once per id:
an object is *changed* only if its merged value differs from the stored one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DeltaCounts", "merge_delta"]

_REMOVED = "@removed"
_DELTA_SUFFIX = "@delta"


@dataclass(frozen=True)
class DeltaCounts:
    """How many stored objects a round added, changed and removed (what the result says)."""

    added: int
    changed: int
    removed: int


def merge_delta(
    stored: Mapping[str, Mapping[str, Any]], changes: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, dict[str, Any]], DeltaCounts]:
    """Return the objects after ``changes`` (one round's items) and the counts; ``stored`` is kept.

    ``stored`` maps ids to objects as an earlier merge returned them (relationships as lists of
    member ids under the relationship's name, e.g. ``members``); the first round merges into {}.
    """
    merged: dict[str, dict[str, Any]] = {key: dict(value) for key, value in stored.items()}
    for item in changes:
        object_id = item.get("id")
        if not isinstance(object_id, str):
            raise ValueError(f"A delta item has no string 'id': {dict(item)!r:.200}")
        if _REMOVED in item:
            merged.pop(object_id, None)
        else:
            merged[object_id] = _replaced(merged.get(object_id), item)
    return merged, _counts(stored, merged)


def _replaced(previous: Mapping[str, Any] | None, item: Mapping[str, Any]) -> dict[str, Any]:
    """The new object: the item's properties, its ``X@delta`` changes applied to previous ``X``."""
    result = {key: value for key, value in item.items() if not key.endswith(_DELTA_SUFFIX)}
    for key, value in item.items():
        if not key.endswith(_DELTA_SUFFIX):
            continue
        relationship = key[: -len(_DELTA_SUFFIX)]
        members = list(previous.get(relationship, [])) if previous else []
        result[relationship] = _applied(members, value)
    if previous:  # relationships this round did not touch keep their members
        for key, value in previous.items():
            if isinstance(value, list) and f"{key}{_DELTA_SUFFIX}" not in item:
                result.setdefault(key, list(value))
    return result


def _applied(members: list[str], changes: Any) -> list[str]:
    """Member ids after one ``X@delta`` list: new ids appended in order, removed ones dropped."""
    if not isinstance(changes, list):
        raise ValueError(f"A '@delta' annotation is not a list: {changes!r:.200}")
    for change in changes:
        member_id = change.get("id") if isinstance(change, Mapping) else None
        if not isinstance(member_id, str):
            raise ValueError(f"A '@delta' member has no string 'id': {change!r:.200}")
        if _REMOVED in change:
            members = [m for m in members if m != member_id]
        elif member_id not in members:
            members.append(member_id)
    return members


def _counts(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> DeltaCounts:
    added = sum(1 for key in after if key not in before)
    removed = sum(1 for key in before if key not in after)
    changed = sum(1 for key in after if key in before and dict(before[key]) != after[key])
    return DeltaCounts(added=added, changed=changed, removed=removed)
