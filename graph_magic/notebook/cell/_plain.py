"""A loaded body made plain JSON values, with the values of ``{{...}}`` put in.

JSON and YAML loaders hand back more than JSON can carry (dates, non-text keys, NaN, aliases that
repeat a subtree); this is the one place that says what of it is sent and how.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._pieces import Slot
from graph_magic.notebook.cell._template import Values

# Stops YAML aliases that would expand a small text into a huge body.
_MAX_BODY_NODES = 1_000_000


@dataclass(frozen=True)
class Hole:
    """Stands for a bare ``{{...}}`` inside a YAML body until the value is put in."""

    index: int


def json_text(cell: CellLines, values: Values, slot: Slot, in_string: bool) -> str:
    """The value as JSON string content (``in_string``) or as a whole JSON value."""
    if in_string:
        return json.dumps(values.text(slot))[1:-1]
    value = values.value(slot)
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise cell.error(
            f"'{slot.label}' cannot be written as JSON ({type(value).__name__}: {exc})",
            slot.line,
            slot.column,
        ) from None


def plain(
    cell: CellLines,
    values: Values,
    body: Any,
    line: int,
    slots: Sequence[Slot] = (),
    placeholder: re.Pattern[str] | None = None,
) -> Any:
    """The body as plain JSON values (dates as ISO text), or an error saying what is not.

    For a YAML body this also puts the values in: a ``Hole`` (a bare ``{{...}}``) becomes the
    value, a ``placeholder`` inside text becomes the text of ``slots[n]``.
    """
    try:
        return _Plain(cell, values, line, slots, placeholder).walk(body)
    except RecursionError:
        raise cell.error("the body nests too deeply", line, 1) from None


class _Plain:
    """One walk over one body; errors point at the body's first line, where its text begins."""

    def __init__(
        self,
        cell: CellLines,
        values: Values,
        line: int,
        slots: Sequence[Slot],
        placeholder: re.Pattern[str] | None,
    ) -> None:
        self.cell = cell
        self.values = values
        self.line = line
        self.slots = slots
        self.placeholder = placeholder
        self.budget = _MAX_BODY_NODES

    def error(self, message: str) -> GraphSyntaxError:
        return self.cell.error(message, self.line, 1)

    def walk(self, item: Any) -> Any:
        """``item`` as plain JSON values, counting every node against the budget."""
        self.budget -= 1
        if self.budget < 0:
            raise self.error("the body is too large (do YAML aliases repeat it?)")
        if isinstance(item, Hole):
            return json.loads(json_text(self.cell, self.values, self.slots[item.index], False))
        if isinstance(item, list):
            return [self.walk(v) for v in item]
        if isinstance(item, dict):
            return {self.key(k): self.walk(v) for k, v in item.items()}
        return self.scalar(item)

    def scalar(self, item: Any) -> Any:
        """A leaf: JSON's own scalars pass, text gets its values, dates become ISO text."""
        if item is None or isinstance(item, (bool, int)):
            return item
        if isinstance(item, float):
            if not math.isfinite(item):
                raise self.error(f"the body holds {item}, which JSON cannot carry")
            return item
        if isinstance(item, str):
            item = self.text(item)
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise self.error("the body holds text that is not valid Unicode") from None
            return item
        if hasattr(item, "isoformat"):
            return item.isoformat()
        raise self.error(f"the body holds a {type(item).__name__}, which JSON cannot carry")

    def text(self, item: str) -> str:
        """Text with each placeholder replaced by the text of the value it stands for."""
        if self.placeholder is None:
            return item
        return self.placeholder.sub(lambda m: self.values.text(self.slots[int(m.group(1))]), item)

    def key(self, item: Any) -> str:
        """A mapping key as JSON text: JSON keys are always strings."""
        if isinstance(item, Hole):
            return self.values.text(self.slots[item.index])
        if isinstance(item, str):
            return self.text(item)
        if item is None or isinstance(item, (bool, int, float)):
            return json.dumps(item)
        if hasattr(item, "isoformat"):
            return item.isoformat()
        raise self.error(f"the body has a {type(item).__name__} as a key; JSON keys are text")
