"""The property names a ``$filter`` expression reads from the request's own type.

The pre-flight check asks which names to look up, and a check must never warn about a filter
Graph accepts, so this reads OData's grammar conservatively and leaves out whatever is not
plainly a property of the type: string literals (``'it''s'``), numbers, dates and GUIDs,
keywords and operators, function names (``startswith(``), lambda variables (``a`` in
``any(a: a/skuId eq ...)``), casts and qualified enum literals (anything with a dot),
typed literals (``duration'P1D'``), ``$it``/``$count`` and ``@alias`` parameters. Of a path
(``signInActivity/lastSignInDateTime``, ``assignedLicenses/any(...)``) only the first
segment is the type's; the rest belongs to other types and is not named here.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<string>'(?:[^']|'')*'?)
      | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})
      | (?P<number>[0-9][\w.:+\-]*)
      | (?P<path>[A-Za-z_$@][\w.$@]*(?:/[A-Za-z_$@][\w.$@]*)*)(?P<quote>(?='))?(?P<after>\s*[(:])?
    """,
    re.VERBOSE,
)
_LAMBDA_VARIABLE = re.compile(r"\b(?:any|all)\(\s*([A-Za-z_]\w*)\s*:", re.IGNORECASE)
_WORDS = frozenset(
    {
        "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "in", "has",
        "add", "sub", "mul", "div", "mod", "true", "false", "null", "inf", "nan",
    }
)  # fmt: skip


def filter_properties(expression: str) -> list[str]:
    """The first segments of the property paths ``expression`` names, in order, each once."""
    variables = {name.lower() for name in _LAMBDA_VARIABLE.findall(expression)}
    names: dict[str, str] = {}
    for match in _TOKEN.finditer(expression):
        path = match.group("path")
        if path is None:
            continue
        first = path.split("/", 1)[0]
        after = (match.group("after") or "").strip()
        if match.group("quote") is not None or after == ":" or (after == "(" and "/" not in path):
            continue  # a typed literal, a lambda's variable, or a function's name
        if first.lower() in _WORDS or first.lower() in variables or first[0] in "$@":
            continue
        if "." not in first:
            names.setdefault(first.lower(), first)
    return list(names.values())
