"""``###`` lines: where one request ends and the next begins, its id, and what it comes after."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import islice

from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._spec import RequestSpec
from graph_magic.notebook.cell._template import suggest

_REQUEST_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")

# One request's lines: the number of its ``###`` line (None for the first request) and the
# numbers of the lines after it.
Segment = tuple[int | None, list[int]]
# A name in an ``after`` list, with the line and column errors point at.
After = tuple[str, int, int]


@dataclass
class Draft:
    """A request before ids and dependencies are settled (``spec.id`` is not yet its own)."""

    given_id: str | None
    after: list[After]
    separator_line: int | None
    spec: RequestSpec


def segments(cell: CellLines) -> list[Segment]:
    """Split the cell at ``###`` lines: (separator line number or None, body line numbers)."""
    found: list[Segment] = [(None, [])]
    for number, line in enumerate(cell.lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith("###") and not stripped.startswith("####"):
            found.append((number, []))
        else:
            found[-1][1].append(number)
    return found


def separator(cell: CellLines, number: int) -> tuple[str | None, list[After]]:
    """The id a ``###`` line gives (if any) and the ids it names after ``after``."""
    line = cell[number]
    offset = line.index("###") + 3
    words = [(m.group(), m.start() + 1 + offset) for m in re.finditer(r"\S+", line[offset:])]
    given: str | None = None
    if words and words[0][0].lower() != "after":
        word, column = words.pop(0)
        if not _REQUEST_ID.fullmatch(word):
            raise cell.error(
                f"request id '{word}' may only hold letters, digits, '_', '.' and '-'",
                number,
                column,
            )
        given = word
    if not words:
        return given, []
    word, column = words.pop(0)
    if word.lower() != "after":
        raise cell.error(f"expected 'after' or the end of the line, not '{word}'", number, column)
    if not words:
        raise cell.error("'after' needs the ids of earlier requests", number, column)
    return given, _after_list(cell, number, words[0][1] - 1)


def _after_list(cell: CellLines, number: int, offset: int) -> list[After]:
    """The comma-separated ids from ``offset`` to the end of line ``number``."""
    after: list[After] = []
    for chunk in cell[number][offset:].split(","):
        name = chunk.strip()
        column = offset + len(chunk) - len(chunk.lstrip()) + 1
        offset += len(chunk) + 1
        if not name:
            raise cell.error("an empty id in the 'after' list", number, column)
        if not _REQUEST_ID.fullmatch(name):
            raise cell.error(f"'{name}' is not a request id", number, column)
        after.append((name, number, column))
    return after


def settle_ids(cell: CellLines, drafts: list[Draft]) -> list[RequestSpec]:
    """Give each request its id (unnamed ones by position) and check every ``after`` names one.

    Only earlier requests count, so the dependencies can never form a cycle.
    """
    seen: dict[str, int] = {}
    taken: dict[str, str] = {}  # casefolded id -> the id as written: $batch ignores case
    specs: list[RequestSpec] = []
    for position, draft in enumerate(drafts, start=1):
        request_id = draft.given_id or str(position)
        where = draft.separator_line or draft.spec.line
        first = taken.get(request_id.casefold())
        if first is not None:
            note = "" if draft.given_id else " (requests without an id are numbered from 1)"
            if first != request_id:
                note = f" ($batch compares ids ignoring case, and '{first}' is taken)"
            column = cell[where].find(request_id) + 1 if draft.given_id else 1
            raise cell.error(f"duplicate request id '{request_id}'{note}", where, column)
        taken[request_id.casefold()] = request_id
        depends = _depends_on(cell, request_id, draft.after, seen, islice(drafts, position, None))
        seen[request_id] = position
        specs.append(replace(draft.spec, id=request_id, depends_on=depends))
    return specs


def _depends_on(
    cell: CellLines,
    request_id: str,
    after: list[After],
    earlier: Mapping[str, int],
    later: Iterable[Draft],
) -> tuple[str, ...]:
    """The ids ``request_id`` comes after, each checked to name an earlier request once.

    ``later`` is only read to word an error, so it is passed lazily.
    """
    depends: list[str] = []
    for name, line, column in after:
        if name == request_id:
            raise cell.error(f"request '{name}' cannot come after itself", line, column)
        if name not in earlier:
            comes_later = any(d.given_id == name for d in later)
            reason = "comes later in the cell" if comes_later else "is not a request id here"
            hint = suggest(name, list(earlier))
            raise cell.error(f"'after' names '{name}', which {reason}{hint}", line, column)
        if name in depends:
            raise cell.error(f"'{name}' is listed twice after 'after'", line, column)
        depends.append(name)
    return tuple(depends)
