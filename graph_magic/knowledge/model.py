"""The plain values the knowledge API answers with: what a type holds, a path, a permission.

They are frozen dataclasses so a caller (completion, pre-flight checks, ``%graph describe``) can
keep, compare and hash them, and nothing can change the shared index through them.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnknownTypeError(KeyError):
    """A type name the cloud's metadata does not hold; ``suggestions`` are the near names."""

    def __init__(self, name: str, suggestions: tuple[str, ...] = ()) -> None:
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown type {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


@dataclass(frozen=True)
class Property:
    """A structural property; ``declared_by`` is the type (maybe a base type) declaring it."""

    name: str
    type: str
    collection: bool
    declared_by: str


@dataclass(frozen=True)
class Navigation:
    """A navigation property: where it leads, and whether the target lives inside its owner."""

    name: str
    type: str
    collection: bool
    contains_target: bool
    declared_by: str


@dataclass(frozen=True)
class Operation:
    """A bound function or action; ``parameters`` holds one name tuple per overload."""

    name: str
    kind: str
    binding_type: str
    collection_bound: bool
    return_type: str | None
    return_collection: bool
    parameters: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Child:
    """What may follow a path: an entity set, ``{id}``, a navigation, an operation, a cast."""

    name: str
    kind: str
    type: str | None
    collection: bool


@dataclass(frozen=True)
class Step:
    """One resolved segment: its text, what it was taken as, and the type it reached."""

    text: str
    kind: str
    type: str | None
    collection: bool


@dataclass(frozen=True)
class Resolution:
    """Where a path leads.

    ``known`` is False when a segment is not in the metadata: ``stopped_at`` is its index,
    ``unknown`` its text and ``suggestions`` the near names ("did you mean"); ``type`` and
    ``collection`` then describe the last segment that was known.
    """

    path: str
    steps: tuple[Step, ...]
    type: str | None
    collection: bool
    known: bool
    stopped_at: int | None = None
    unknown: str | None = None
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchemePermissions:
    """One scheme's permissions for a request: the least-privileged first, then the others.

    ``also_requires`` pairs a permission with the ones it needs beside it (one of them).
    """

    least: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    also_requires: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        """Every permission that allows the request in this scheme."""
        return self.least + self.others


@dataclass(frozen=True)
class PermissionAnswer:
    """What the permissions map says about one method and path.

    ``template`` is the map's path that matched (None: the map does not know the request, so
    nothing can be said either way). ``personal`` is the delegated scheme for Microsoft
    accounts.
    """

    method: str
    path: str
    template: str | None
    delegated: SchemePermissions
    application: SchemePermissions
    personal: SchemePermissions

    @property
    def known(self) -> bool:
        """Whether the permissions map has this request at all."""
        return self.template is not None
