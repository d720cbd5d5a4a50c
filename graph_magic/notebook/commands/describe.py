"""``%graph describe PATH_OR_TYPE``: what Graph's metadata says a path or type holds.

Properties with their types, navigation properties, and the functions and actions bound to it,
as one DataFrame, so an analyst finds the property or the endpoint without leaving the notebook.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from html import escape

import pandas as pd

from graph_magic.knowledge import CLOUDS, Knowledge, UnknownTypeError
from graph_magic.knowledge.schema import DEFAULT_NAMESPACE
from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.preflight import did_you_mean

__all__ = ["COMMAND", "Description", "describe", "describe_frame", "knowledge_of"]

COLUMNS = ("kind", "name", "type", "declared by")

parser = CommandParser(
    "describe",
    "show a path's or type's properties, navigation, bound functions and actions (v1.0)",
)
parser.add_argument(
    "target", metavar="PATH_OR_TYPE", help="a path (/users/{id}/manager) or a type (user)"
)
parser.add_argument(
    "--cloud", choices=CLOUDS, metavar="CLOUD", help="whose metadata (default: the system's)"
)


@dataclass(frozen=True)
class Description:
    """A title line and a DataFrame; the text form prints every row (what nbval compares)."""

    title: str
    frame: pd.DataFrame

    def __repr__(self) -> str:
        if self.frame.empty:
            return f"{self.title}\n  (no members)"
        rows = tuple(tuple(str(cell) for cell in row) for row in self.frame.itertuples(index=False))
        return repr(Panel(self.title, rows, header=tuple(self.frame.columns)))

    def _repr_html_(self) -> str:
        table = self.frame.to_html(index=False, escape=True)
        return f"<div><strong>{escape(self.title)}</strong>{table}</div>"


def describe(knowledge: Knowledge, target: str, show: Show) -> None:
    """Show what ``target`` (a path or a type name) holds; GraphUsageError when unknown.

    A path lists the operations bound to what it returns (the collection or the entity); a
    type name lists both, marking the collection-bound ones.
    """
    if "/" in target or _is_root(knowledge, target):
        path = target if "/" in target else f"/{target}"
        type_name, collection, title = _path_target(knowledge, path)
    else:
        type_name, collection = _type_target(knowledge, target), None
        title = type_name
    frame = describe_frame(knowledge, type_name, collection)
    show(Description(f"{title} ({knowledge.cloud} v1.0)", frame))


def _path_target(knowledge: Knowledge, path: str) -> tuple[str, bool, str]:
    resolution = knowledge.resolve(path)
    if not resolution.known:
        near = did_you_mean(resolution.suggestions)
        raise GraphUsageError(f"{path}: unknown segment {resolution.unknown!r}{near}")
    if resolution.type is None:
        raise GraphUsageError(f"{path} returns nothing to describe")
    shape = f"Collection({resolution.type})" if resolution.collection else resolution.type
    return resolution.type, resolution.collection, f"{path}: {shape}"


def _type_target(knowledge: Knowledge, name: str) -> str:
    try:
        return knowledge.type_name(name)
    except UnknownTypeError as exc:
        near = did_you_mean(exc.suggestions)
        raise GraphUsageError(f"unknown type or path {name!r}{near}") from None


def _is_root(knowledge: Knowledge, name: str) -> bool:
    """Whether ``name`` is an entity set or singleton (``users``, ``me``) and not a type."""
    return knowledge.schema.qualify(name) is None and knowledge.resolve(f"/{name}").known


def describe_frame(knowledge: Knowledge, type_name: str, collection: bool | None) -> pd.DataFrame:
    """The rows of a type: properties, navigation, bound operations (``collection``: which).

    ``collection`` None lists operations bound to the type and to a collection of it alike.
    """
    rows = [("member", name, "", _short(type_name)) for name in knowledge.enum_members(type_name)]
    rows += [
        ("property", p.name, _shape(p.type, p.collection), _short(p.declared_by))
        for p in knowledge.properties(type_name)
    ]
    rows += [
        ("navigation", n.name, _shape(n.type, n.collection), _short(n.declared_by))
        for n in knowledge.navigation(type_name)
    ]
    for bound in (False, True) if collection is None else (collection,):
        marked = bound and collection is None  # a type's list tells the two bindings apart
        rows += [
            (
                f"{op.kind} (collection)" if marked else op.kind,
                f"{op.name}({', '.join(op.parameters[0] if op.parameters else ())})",
                _shape(op.return_type, op.return_collection) if op.return_type else "",
                _short(op.binding_type),
            )
            for op in knowledge.bound_operations(type_name, bound)
        ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _shape(type_name: str, collection: bool) -> str:
    short = _short(type_name)
    return f"Collection({short})" if collection else short


def _short(type_name: str) -> str:
    """``user`` for ``microsoft.graph.user``: Graph's docs name its own types unqualified."""
    return type_name.removeprefix(f"{DEFAULT_NAMESPACE}.")


def knowledge_of(context: CommandContext, cloud: str | None) -> Knowledge:
    """The Knowledge of ``cloud``, else of the current system's (global when it has none)."""
    if cloud is None:
        cloud = context.session.system(context.system()).cloud or "global"
    return Knowledge.for_cloud(cloud)


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    describe(knowledge_of(context, args.cloud), args.target, context.show)


COMMAND = Command(parser, _run)
