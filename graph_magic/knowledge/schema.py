"""One cloud's types: properties, navigation and bound operations, with inheritance applied.

The index stores each type with only what it declares (as the CSDL does); this module walks
the base types so a ``user`` has ``id`` from ``entity`` and ``getMemberGroups`` from
``directoryObject``, and works out the derived types a cast may name. Answers are cached per
type, since completion asks the same questions on every keystroke.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cached_property
from typing import cast

from .model import Navigation, Operation, Property, UnknownTypeError
from .store import Index

DEFAULT_NAMESPACE = "microsoft.graph"
_Row = list[object]


def suggest(word: str, candidates: Iterable[str], limit: int = 3) -> tuple[str, ...]:
    """The candidates closest to ``word``, ignoring case ("did you mean")."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=limit, cutoff=0.6)
    return tuple(by_lower[match] for match in close)


class Schema:
    """Query one cloud's type index; type names are qualified (``microsoft.graph.user``)."""

    def __init__(self, index: Index) -> None:
        self._types = cast(dict[str, dict[str, object]], index["types"])
        self._enums = cast(dict[str, dict[str, object]], index["enums"])
        self.roots: dict[str, tuple[str, bool]] = {
            name: (cast(str, row[0]), bool(row[1]))
            for name, row in cast(dict[str, _Row], index["roots"]).items()
        }
        self._properties: dict[str, tuple[Property, ...]] = {}
        self._navigation: dict[str, tuple[Navigation, ...]] = {}
        self._operations: dict[tuple[str, bool], tuple[Operation, ...]] = {}
        self._derived: dict[str, tuple[str, ...]] = {}

    @cached_property
    def _by_lower(self) -> dict[str, str]:
        names = [*self._types, *self._enums]
        return {name.lower(): name for name in names}

    def qualify(self, name: str) -> str | None:
        """The qualified name of a type or enum (``user``, ``graph.user``, any case), or None."""
        bare = name[len("graph.") :] if name.startswith("graph.") else name
        for candidate in (name, f"{DEFAULT_NAMESPACE}.{bare}"):
            found = self._by_lower.get(candidate.lower())
            if found:
                return found
        return None

    def require(self, name: str) -> str:
        """``qualify``, or UnknownTypeError with the near names."""
        found = self.qualify(name)
        if found is None:
            short = {
                qualified.rsplit(".", 1)[-1]: qualified for qualified in self._by_lower.values()
            }
            near = suggest(name.rsplit(".", 1)[-1], short)
            raise UnknownTypeError(name, tuple(short[item] for item in near))
        return found

    def is_structured(self, name: str) -> bool:
        """Whether ``name`` is an entity or complex type (something with members)."""
        return self._types.get(name, {}).get("kind") in ("entity", "complex")

    def is_enum(self, name: str) -> bool:
        """Whether ``name`` is an enum type."""
        return name in self._enums

    def has_stream(self, name: str) -> bool:
        """Whether the entity itself has a media stream (``/$value``), on it or a base."""
        return any(self._types.get(t, {}).get("stream") for t in self.lineage(name))

    def lineage(self, name: str) -> list[str]:
        """``name`` and its base types, nearest first."""
        chain: list[str] = []
        current: str | None = name
        while current and current not in chain:
            chain.append(current)
            current = cast("str | None", self._types.get(current, {}).get("base"))
        return chain

    def _declared(self, name: str, field: str) -> list[_Row]:
        return cast(list[_Row], self._types.get(name, {}).get(field, []))

    def properties(self, name: str) -> tuple[Property, ...]:
        """Structural properties, inherited ones first (``id`` before ``displayName``)."""
        if name not in self._properties:
            self._properties[name] = tuple(
                Property(cast(str, row[0]), cast(str, row[1]), bool(row[2]), owner)
                for owner in reversed(self.lineage(name))
                for row in self._declared(owner, "properties")
            )
        return self._properties[name]

    def navigation(self, name: str) -> tuple[Navigation, ...]:
        """Navigation properties, inherited ones first."""
        if name not in self._navigation:
            self._navigation[name] = tuple(
                Navigation(cast(str, row[0]), cast(str, row[1]), bool(row[2]), bool(row[3]), owner)
                for owner in reversed(self.lineage(name))
                for row in self._declared(owner, "navigation")
            )
        return self._navigation[name]

    def operations(self, name: str, collection: bool) -> tuple[Operation, ...]:
        """Functions and actions bound to ``name`` (or to a collection of it), bases included."""
        key = (name, collection)
        if key not in self._operations:
            self._operations[key] = tuple(
                _operation(row, owner)
                for owner in self.lineage(name)
                for row in self._declared(owner, "operations")
                if bool(row[2]) == collection
            )
        return self._operations[key]

    @cached_property
    def _children_of(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for name, entry in self._types.items():
            base = entry.get("base")
            if isinstance(base, str):
                children.setdefault(base, []).append(name)
        return children

    def derived(self, name: str) -> tuple[str, ...]:
        """Every type deriving from ``name``, at any depth: the casts a path may take."""
        if name not in self._derived:
            found: list[str] = []
            pending = list(self._children_of.get(name, []))
            while pending:
                current = pending.pop(0)
                found.append(current)
                pending.extend(self._children_of.get(current, []))
            self._derived[name] = tuple(sorted(found))
        return self._derived[name]

    def enum_members(self, name: str) -> tuple[str, ...]:
        """The members of enum ``name``; empty for a type that is not an enum."""
        return tuple(cast(list[str], self._enums.get(name, {}).get("members", [])))

    def is_flags(self, name: str) -> bool:
        """Whether enum ``name`` takes several members at once (``a,b``)."""
        return bool(self._enums.get(name, {}).get("flags"))


def _operation(row: _Row, owner: str) -> Operation:
    overloads = cast(list[list[str]], row[5])
    return Operation(
        name=cast(str, row[0]),
        kind=cast(str, row[1]),
        binding_type=owner,
        collection_bound=bool(row[2]),
        return_type=cast("str | None", row[3]),
        return_collection=bool(row[4]),
        parameters=tuple(tuple(params) for params in overloads),
    )
