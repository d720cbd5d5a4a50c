"""What a ``$filter`` says about a timestamp's range, read without guessing.

A windowed log scan cuts the range the caller's own ``$filter`` gives the collection's
timestamp (``createdDateTime ge X and createdDateTime lt Y``). Only comparisons ``and``-ed at
the top level bound it: under an ``or`` or a ``not`` they do not. The filter is split into
those parts as text (string literals and parentheses respected), and only the parts that name
the timestamp are parsed, with odata-query (the parser the sandbox uses), so Graph's own
spellings elsewhere in the filter (``startsWith(``, a one-item ``in``) cannot hide a bound.
A part it cannot read gives no bound, which costs the windows balance, never an item.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["balanced", "time_bounds"]

_JOIN = re.compile(r"\s+(and|or)\s+", re.IGNORECASE)
_COMPARATORS = {"Eq": "eq", "GtE": "ge", "Gt": "gt", "LtE": "le", "Lt": "lt"}
_FLIPPED = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt", "eq": "eq"}


def time_bounds(user_filter: str, time_property: str) -> tuple[datetime | None, datetime | None]:
    """The range ``user_filter`` puts ``time_property`` in: (lowest, highest), each or None.

    ``le X`` and ``eq X`` make the highest a microsecond past X (windows end with ``lt``).
    """
    lows: list[datetime] = []
    highs: list[datetime] = []
    named = [p for p in _conjuncts(user_filter) if time_property.lower() in p.lower()]
    for part in named:
        found = _comparison(part, time_property)
        if found is None:
            continue
        comparator, moment = found
        if comparator in ("ge", "gt", "eq"):
            lows.append(moment)
        if comparator in ("lt", "le", "eq"):
            highs.append(moment if comparator == "lt" else moment + timedelta(microseconds=1))
    return (max(lows) if lows else None), (min(highs) if highs else None)


def balanced(text: str) -> bool:
    """True when ``text``'s parentheses outside string literals open and close in pairs.

    ``a eq 'x') or (b eq 'y'`` would turn ``(filter) and window`` into ``a or (b and window)``,
    a window that no longer bounds every item it returns.
    """
    depth, quoted = 0, False
    for char in text:
        if char == "'":
            quoted = not quoted  # a doubled '' toggles twice: still inside the literal
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                return False
    return depth == 0 and not quoted


def _conjuncts(text: str) -> list[str]:
    """The parts ``and``-ed at the top of ``text``; none when an ``or`` joins at the top.

    A part wholly in parentheses is opened and split again: ``(a and b) and c`` gives a, b, c,
    while ``(a or b) and c`` gives c alone.
    """
    parts: list[str] = []
    depth, quoted, start, index = 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and char.isspace():
            join = _JOIN.match(text, index)
            if join is not None:
                if join.group(1).lower() == "or":
                    return []
                parts.append(text[start:index])
                start = index = join.end()
                continue
        index += 1
    parts.append(text[start:])
    out: list[str] = []
    for part in (p.strip() for p in parts):
        out.extend(_conjuncts(part[1:-1]) if _wrapped(part) else [part])
    return out


def _wrapped(part: str) -> bool:
    """True for ``( ... )`` whose first parenthesis closes at its last character."""
    if not (part.startswith("(") and part.endswith(")")):
        return False
    depth, quoted = 0, False
    for index, char in enumerate(part):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return index == len(part) - 1
    return False


def _comparison(part: str, time_property: str) -> tuple[str, datetime] | None:
    """(comparator, instant) when ``part`` compares ``time_property`` with a date literal."""
    from odata_query import ast  # its grammar's tables are built on import: only when needed
    from odata_query.exceptions import ODataException
    from odata_query.grammar import ODataLexer, ODataParser

    try:
        node: Any = ODataParser().parse(ODataLexer().tokenize(part))
    except (ODataException, TypeError, ValueError, IndexError):
        return None
    if not isinstance(node, ast.Compare):
        return None
    comparator = _COMPARATORS.get(type(node.comparator).__name__)
    left, right = node.left, node.right
    dates = (ast.DateTime, ast.Date)
    if isinstance(left, dates) and not isinstance(right, dates):
        left, right = right, left
        comparator = _FLIPPED.get(comparator or "")
    named = isinstance(left, ast.Identifier) and left.name.lower() == time_property.lower()
    if comparator is None or not named or not isinstance(right, dates):
        return None
    return comparator, _instant(right.val)


def _instant(text: str) -> datetime:
    """A date or DateTimeOffset literal as an aware datetime (a fraction past 6 digits cut)."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        head = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    moment = datetime.fromisoformat(head.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
