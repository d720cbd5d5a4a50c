"""What the word being typed in a query option's value must be: ``$select``, ``$filter``, ...

Pure text grammar: it reads the value up to the cursor (``id,disp``, ``state eq 'en``) and says
what kind of word ends it (a property of the request's type, a navigation property, a value
compared with a property, or one of a few fixed words) and where that word starts. Which names
those are is the knowledge's answer, asked by the caller.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
OPERATORS = (*COMPARISONS, "in")
_JOINS = ("and", "or")
_OPENERS = ("(", "and", "or", "not")
_LITERALS = ("true", "false", "null")
_TOKEN = re.compile(r"'(?:[^']|'')*'?|[A-Za-z_][\w./]*|\d[\w.:+\-]*|\S")
_STRING = re.compile(r"'(?:[^']|'')*'")
_NAME = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Want:
    """The word ending an option's value: it starts at ``start`` and is one of ``what``.

    ``what`` is ``properties`` or ``navigation`` (of the request's type, less the ``listed``
    ones), ``value`` (compared with ``property``: an enum member or a Boolean) or one of
    ``words``, which are ``label`` words (``operator``, ``keyword``).
    """

    start: int
    what: str
    words: tuple[str, ...] = ()
    label: str = "keyword"
    property: str = ""
    listed: frozenset[str] = frozenset()


def want(option: str, text: str) -> Want | None:
    """What ends ``text``, the value of query option ``option`` up to the cursor; None: no idea."""
    name = option.lower()
    if name == "$filter":
        return _filter(text)
    if name == "$count":
        return Want(len(text) - len(text.lstrip()), "words", ("true", "false"))
    if name not in ("$select", "$expand", "$orderby"):
        return None
    item = _last_item(text)
    if item is None:
        return None
    start, listed = item
    word = text[start:]
    if name == "$orderby" and " " in word:
        first, _, second = word.partition(" ")
        if " " in second.strip() or not _NAME.fullmatch(first):
            return None
        return Want(len(text) - len(second.lstrip()), "words", ("asc", "desc"))
    if word and not _NAME.fullmatch(word):
        return None
    return Want(start, "navigation" if name == "$expand" else "properties", listed=listed)


def _last_item(text: str) -> tuple[int, frozenset[str]] | None:
    """Where the last comma-separated item starts, and the names listed before it.

    None inside parentheses or quotes (``manager($select=id``): a nested query is about
    another type.
    """
    depth, quoted, cuts = 0, False, [-1]
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif char == "," and not quoted and depth == 0:
            cuts.append(index)
    if depth or quoted:
        return None
    listed = frozenset(
        text[a + 1 : b].strip().split(" ", 1)[0].lower() for a, b in itertools.pairwise(cuts)
    )
    start = cuts[-1] + 1
    return start + len(text[start:]) - len(text[start:].lstrip()), listed


def _filter(text: str) -> Want | None:
    """A ``$filter`` expression: a property, an operator, a compared value or ``and``/``or``."""
    tokens = [(match.start(), match.group()) for match in _TOKEN.finditer(text)]
    start, word = len(text), ""
    if tokens and tokens[-1][0] + len(tokens[-1][1]) == len(text):
        start, word = tokens.pop()
    before = [token.lower() for _, token in tokens]
    if word.startswith("'"):
        if _STRING.fullmatch(word):
            return None
        return _compared(before, start)
    if word and not _NAME.fullmatch(word):
        return None
    last = before[-1] if before else "("
    if last in _OPENERS:
        return Want(start, "properties")
    if last in COMPARISONS:
        return _compared(before, start)
    if (
        _NAME.fullmatch(last)
        and last not in _LITERALS
        and (len(before) < 2 or before[-2] in _OPENERS)
    ):
        return Want(start, "words", OPERATORS, "operator")
    if last == ")" or last in _LITERALS or last[:1].isdigit() or _STRING.fullmatch(last):
        return Want(start, "words", _JOINS, "operator")
    return None


def _compared(before: list[str], start: int) -> Want | None:
    """The value after ``property eq``: what the property's type allows."""
    if len(before) >= 2 and before[-1] in COMPARISONS and _NAME.fullmatch(before[-2]):
        return Want(start, "value", property=before[-2])
    return None
