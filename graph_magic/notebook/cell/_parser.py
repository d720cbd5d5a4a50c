"""The driver: one parse of one cell, request by request, from ``###`` segments to RequestSpecs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_magic.notebook.cell._body import BodyReader
from graph_magic.notebook.cell._head import GLOBAL_GRAPH_ORIGIN, HeadReader
from graph_magic.notebook.cell._ids import Draft, Segment, segments, separator, settle_ids
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._spec import RequestSpec
from graph_magic.notebook.cell._template import Values


def parse_cell(
    text: str,
    namespace: Mapping[str, Any] | None = None,
    *,
    graph_origin: str = GLOBAL_GRAPH_ORIGIN,
) -> list[RequestSpec]:
    """Parse a %%graph cell into one RequestSpec per request, in order.

    ``namespace`` supplies ``{{name}}`` values (the notebook's user namespace).
    ``graph_origin`` (``https://host[:port]``, the system's) is the only origin a full URL in
    the cell may name, since the token goes with it. Raises GraphSyntaxError, with the line and
    column of the problem, for every bad input.
    """
    return _Parser(text, namespace, graph_origin).parse()


class _Parser:
    """One parse of one cell; the readers share its lines so every error quotes its source line."""

    def __init__(
        self, text: object, namespace: Mapping[str, Any] | None, graph_origin: str
    ) -> None:
        self.cell = CellLines(text)
        values = Values(self.cell, namespace if namespace is not None else {})
        self.head = HeadReader(self.cell, values, graph_origin)
        self.body = BodyReader(self.cell, values)

    def parse(self) -> list[RequestSpec]:
        drafts = [d for d in map(self._request, segments(self.cell)) if d is not None]
        if not drafts:
            raise self.cell.error("the cell holds no request", 1, 1)
        return settle_ids(self.cell, drafts)

    def _request(self, segment: Segment) -> Draft | None:
        """One segment's request: its line, its head up to a blank line, then its body.

        None for a first segment that holds only blank and comment lines: a cell may open with
        comments before its first ``###``.
        """
        separator_line, numbers = segment
        given, after = separator(self.cell, separator_line) if separator_line else (None, [])
        rest = iter(numbers)
        request_line = next((n for n in rest if not self.cell.skippable(n)), None)
        if request_line is None:
            if separator_line is None:
                return None
            raise self.cell.error("'###' is not followed by a request", separator_line, 1)
        method, target, path, version, params = self.head.request_line(request_line)
        headers: dict[str, str] = {}
        body_numbers: list[int] = []
        for number in rest:
            if not self.cell[number].strip():
                body_numbers = [n for n in numbers if n > number]
                break
            if self.cell[number].lstrip().startswith("#"):
                continue
            self.head.head_line(number, params, headers)
        spec = RequestSpec(
            id="",
            method=method,
            target=target,
            path=path,
            version=version,
            params=params,
            headers=headers,
            body=self.body.body(method, body_numbers, headers),
            line=request_line,
        )
        return Draft(given, after, separator_line, spec)
