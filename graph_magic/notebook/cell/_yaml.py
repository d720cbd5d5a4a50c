"""A body read as YAML, with each ``{{...}}`` held by a placeholder until the values go in.

The placeholders are plain words that cannot occur in the body (a nonce makes sure), so YAML
reads the structure around them; a bare one loads as a ``Hole`` through its own implicit tag.
The loader is the system files' bounded one, so an alias bomb in a body fails where it starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from graph_magic.connector.system_files import BoundedSafeLoader
from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._pieces import Piece, render
from graph_magic.notebook.cell._plain import Hole, plain
from graph_magic.notebook.cell._template import Values

_SLOT_TAG = "tag:graph-magic,2026:slot"


class NotYaml(GraphSyntaxError):
    """The body is not YAML either; the caller decides whether to report this or the JSON error."""


def yaml_body(cell: CellLines, values: Values, lines: list[Piece], first_line: int) -> Any:
    """The body's lines as YAML, as plain JSON values with the values put in."""
    text = "\n".join(p.text for p in lines)
    nonce = 0
    while f"gmslot{nonce}n" in text:
        nonce += 1
    prefix = f"gmslot{nonce}n"
    slots = [slot for piece in lines for slot in piece.slots]
    index = {(s.line, s.column): i for i, s in enumerate(slots)}
    yaml_text = "\n".join(
        render(piece, lambda s: f"{prefix}{index[s.line, s.column]}z") for piece in lines
    )
    loader = _loader(prefix)
    try:
        loaded = yaml.load(yaml_text, Loader=loader)
    # PyYAML raises plain ValueError/TypeError for some scalars (an impossible date), and
    # RecursionError for deep nesting, besides its own YAMLError.
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line, column = first_line, 1
        if mark is not None:
            piece = lines[min(mark.line, len(lines) - 1)]
            line, column = piece.line, _unshift(piece, mark.column, prefix, index)
        message = f"the body is not valid JSON or YAML: {problem}"
        raise cell.error(message, line, column, cls=NotYaml) from None
    if loaded is not None and not isinstance(loaded, (dict, list, Hole)):
        raise cell.error(
            "the body is neither JSON nor a YAML mapping or list", first_line, 1, cls=NotYaml
        )
    return plain(cell, values, loaded, first_line, slots, re.compile(rf"{prefix}(\d+)z"))


def _loader(prefix: str) -> type[BoundedSafeLoader]:
    """A bounded SafeLoader that reads a bare placeholder as the Hole it stands for."""
    loader_class = type("_SlotLoader", (BoundedSafeLoader,), {})
    loader_class.add_implicit_resolver(_SLOT_TAG, re.compile(rf"^{prefix}\d+z$"), ["g"])
    loader_class.add_constructor(
        _SLOT_TAG, lambda loader, node: Hole(int(node.value[len(prefix) : -1]))
    )
    return loader_class


def _unshift(piece: Piece, column: int, prefix: str, index: Mapping[tuple[int, int], int]) -> int:
    """Map a 0-based column in the placeholder text back to the 1-based cell column."""
    shift = 0
    for slot in piece.slots:
        width = len(f"{prefix}{index[slot.line, slot.column]}z")
        new_start = slot.start + shift
        if column < new_start:
            break
        if column < new_start + width:
            return piece.column + slot.start
        shift += width - (slot.end - slot.start)
    return piece.column + column - shift
