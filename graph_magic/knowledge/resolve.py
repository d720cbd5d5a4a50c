"""Walks a Graph path through one cloud's types, segment by segment, the way Graph reads it.

A collection is followed by a key, a cast to a derived type, a collection-bound function or
action, or ``$count``; a single entity by a navigation or structural property, a cast, a bound
operation, ``$ref`` or ``$value``. An unknown segment of a collection is a key, as in OData
(``/users/abc@contoso.com``), unless it names a type that cannot stand there; anywhere else it
stops the walk with "did you mean" names.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Child, Resolution, Step
from .paths import Segment, split_path
from .schema import Schema, suggest

STREAM = "Edm.Stream"
SERVICE_RESOURCES = ("$metadata", "$batch")
"""What the service root holds besides entity sets and singletons."""


@dataclass(frozen=True)
class _At:
    """Where the walk stands: a type (None at the root or after an action) and its shape."""

    type: str | None
    collection: bool
    root: bool = False


def resolve(schema: Schema, path: str, *, suggestions: bool = True) -> Resolution:
    """The Resolution of ``path``: the type it reaches, or where it stopped being known.

    ``suggestions=False`` skips the "did you mean" search, for callers that only need the type.
    """
    at = _At(None, False, root=True)
    steps: list[Step] = []
    for index, segment in enumerate(split_path(path)):
        step = _step(schema, at, segment)
        if step is None:
            near = suggest(segment.name, _names(schema, at)) if suggestions else ()
            return Resolution(
                path,
                tuple(steps),
                at.type,
                at.collection,
                known=False,
                stopped_at=index,
                unknown=segment.text,
                suggestions=near,
            )
        steps.append(step)
        at = _At(step.type, step.collection)
    return Resolution(path, tuple(steps), at.type, at.collection, True)


def children(schema: Schema, path: str) -> tuple[Child, ...]:
    """What may follow ``path`` (nothing when the path does not resolve)."""
    resolution = resolve(schema, path, suggestions=False)
    if not resolution.known:
        return ()
    at = _At(resolution.type, resolution.collection, root=not resolution.steps)
    return _children(schema, at)


def _names(schema: Schema, at: _At) -> list[str]:
    """What a misspelt segment may have meant: the children, and properties of an entity."""
    names = [child.name for child in _children(schema, at)]
    if at.type is not None and not at.collection:
        names += [prop.name for prop in schema.properties(at.type)]
    return names


def _named(name: str, candidates: list[str]) -> str | None:
    lower = name.lower()
    return next((candidate for candidate in candidates if candidate.lower() == lower), None)


def _step(schema: Schema, at: _At, segment: Segment) -> Step | None:
    if at.root:
        return _root(schema, segment)
    if segment.address:
        return Step(segment.text, "address", at.type, False)
    if segment.name.startswith("$"):
        return _system(schema, at, segment)
    if at.type is None:
        return None
    cast = _cast(schema, at.type, segment)
    if cast is not None:
        return Step(segment.text, "cast", cast, at.collection)
    if "." in segment.name and schema.qualify(segment.name) is not None:
        return None  # a type, but not this one or one deriving from it: never read as a key
    operation = _operation(schema, at.type, at.collection, segment)
    if operation is not None or at.collection:
        return operation or Step(segment.text, "key", at.type, False)
    return _member(schema, at.type, segment)


def _root(schema: Schema, segment: Segment) -> Step | None:
    if segment.name.lower() in SERVICE_RESOURCES:  # the service's own: no type to walk
        return Step(segment.text, segment.name.lower(), None, False)
    name = _named(segment.name, list(schema.roots))
    if name is None:
        return None
    target, collection = schema.roots[name]
    if collection and (segment.key is not None or segment.args):
        return Step(segment.text, "key", target, False)
    return Step(segment.text, "entitySet" if collection else "singleton", target, collection)


def _system(schema: Schema, at: _At, segment: Segment) -> Step | None:
    name = segment.name.lower()
    if name == "$count" and at.collection:
        return Step(segment.text, "count", "Edm.Int32", False)
    if name == "$ref" and at.type is not None:
        return Step(segment.text, "ref", at.type, at.collection)
    if name == "$value" and not at.collection and at.type is not None:
        primitive = at.type.startswith("Edm.") or schema.is_enum(at.type)
        return Step(segment.text, "value", at.type if primitive else STREAM, False)
    return None


def _cast(schema: Schema, current: str, segment: Segment) -> str | None:
    if "." not in segment.name:
        return None
    target = schema.qualify(segment.name)
    if target is not None and (target == current or target in schema.derived(current)):
        return target
    return None


def _operation(schema: Schema, current: str, collection: bool, segment: Segment) -> Step | None:
    lower = segment.name.lower()
    for op in schema.operations(current, collection):  # the nearest binding type comes first
        if op.name.lower() == lower:
            return Step(segment.text, op.kind, op.return_type, op.return_collection)
    return None


def _member(schema: Schema, current: str, segment: Segment) -> Step | None:
    lower = segment.name.lower()
    for navigation in schema.navigation(current):
        if navigation.name.lower() == lower:
            if navigation.collection and (segment.key is not None or segment.args):
                return Step(segment.text, "key", navigation.type, False)
            return Step(segment.text, "navigation", navigation.type, navigation.collection)
    for prop in schema.properties(current):
        if prop.name.lower() == lower:
            return Step(segment.text, "property", prop.type, prop.collection)
    return None


def _children(schema: Schema, at: _At) -> tuple[Child, ...]:
    if at.root:
        return tuple(
            Child(name, "entitySet" if many else "singleton", target, many)
            for name, (target, many) in sorted(schema.roots.items(), key=_lower_key)
        )
    if at.type is None:
        return ()
    found: list[Child] = []
    if at.collection:
        found.append(Child("{id}", "key", at.type, False))
    elif schema.is_structured(at.type):
        found += [
            Child(n.name, "navigation", n.type, n.collection) for n in schema.navigation(at.type)
        ]
    found += [
        Child(op.name, op.kind, op.return_type, op.return_collection)
        for op in schema.operations(at.type, at.collection)
    ]
    found += [Child(name, "cast", name, at.collection) for name in schema.derived(at.type)]
    if at.collection:
        found.append(Child("$count", "count", "Edm.Int32", False))
    elif schema.has_stream(at.type) or not schema.is_structured(at.type):
        found.append(Child("$value", "value", STREAM, False))
    return tuple(_unique(found))


def _unique(found: list[Child]) -> list[Child]:
    seen: set[str] = set()
    kept: list[Child] = []
    for child in found:
        if child.name.lower() not in seen:
            seen.add(child.name.lower())
            kept.append(child)
    return kept


def _lower_key(item: tuple[str, tuple[str, bool]]) -> str:
    return item[0].lower()
