"""The $filter compiler: Graph-style filters compiled to Python closures over plain dicts.

Graph-style filters are normalised (camelCase functions, ``not(``, ``/$count``, one-item ``in``)
so the ``odata-query`` grammar accepts them, then the AST is compiled once into closures, so a
filter costs one Python call per item rather than one AST walk. Compiling also records what the
filter uses (``ne``, ``not``, ``endsWith``, ``$count``, null, properties), which the advanced-query
rules in odata/options.py check before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser

from graph_magic.sandbox._clock import dt_key, odata_datetime
from graph_magic.sandbox.graph_errors import GraphError, bad_request

Predicate = Callable[[dict[str, Any]], bool]
_Getter = Callable[[dict[str, Any], dict[str, Any]], Any]

_FUNCS = ("startswith", "endswith", "contains", "tolower", "toupper", "any", "all")
_FUNC_RE = re.compile(r"\b(" + "|".join(_FUNCS) + r")\s*\(", re.IGNORECASE)
_NOT_RE = re.compile(r"\bnot\s*\(", re.IGNORECASE)
_IN_RE = re.compile(r"\s+in\s*\(", re.IGNORECASE)
_ONE_IN_RE = re.compile(r"(\s+in\s*\(\s*)('(?:[^']|'')*'|[^,()']+)(\s*\))", re.IGNORECASE)


@dataclass
class FilterInfo:
    """What a compiled filter uses; the advanced-query rules decide from this."""

    operators: set[str] = field(default_factory=set)
    properties: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(function, top-level property) for startswith/endswith/contains, lambdas resolved."""
    null_properties: list[str] = field(default_factory=list)


def _normalise(text: str) -> str:
    """Rewrite Graph spellings the grammar refuses, outside string literals only."""
    parts = re.split(r"('(?:[^']|'')*')", text)
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            part = _FUNC_RE.sub(lambda m: m.group(1).lower() + "(", part)
            part = _NOT_RE.sub("not (", part)
            part = part.replace("/$count", "/__count")
            part = _IN_RE.sub(" in (", part)
        out.append(part)
    joined = "".join(out)
    return _ONE_IN_RE.sub(lambda m: m.group(1) + m.group(2) + "," + m.group(3), joined)


def parse_filter(text: str) -> ast._Node:
    """The odata-query AST of a Graph $filter, or Graph's 400 for a clause it cannot read."""
    try:
        return ODataParser().parse(ODataLexer().tokenize(_normalise(text)))
    except (ODataException, TypeError, ValueError, IndexError) as exc:
        raise bad_request(f"Invalid filter clause: {exc}") from exc


_FRACTION = re.compile(r"\.(\d+)")


def _literal_dt(node: ast._Node) -> str:
    """A date or instant literal as the sortable key stored values get (:func:`dt_key`).

    A DateTimeOffset holds 100 ns ticks, seven digits of fraction, where Python's datetime
    keeps six: the seventh is carried over from the text, so ``ge ...46.5610001Z`` leaves
    out an item stamped ``...46.561Z``.
    """
    if isinstance(node, ast.Date):
        return node.val + "T00:00:00.0000000"
    text = node.val.replace("Z", "+00:00").replace("z", "+00:00")
    fraction = _FRACTION.search(text)
    digits = fraction.group(1) if fraction else ""
    if fraction:
        text = text[: fraction.start()] + text[fraction.end() :]
    whole = odata_datetime(datetime.fromisoformat(text))
    return whole[:20] + digits.ljust(7, "0")[:7]


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _lookup(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if key.lower() == lowered:
            return value
    return None


class FilterCompiler:
    """Compiles one $filter AST against an entity's properties into a predicate over dicts.

    ``resolve(name)`` maps a top-level property name (any case) to its stored name or raises
    Graph's 400 for an unknown property.
    """

    def __init__(self, resolve: Callable[[str], str]) -> None:
        self.resolve = resolve
        self.info = FilterInfo()
        self._lambda_vars: dict[str, str] = {}

    def compile(self, node: ast._Node) -> Predicate:
        """A predicate taking a stored object; the FilterInfo is in ``self.info``."""
        test = self._bool(node)
        return lambda obj: bool(test(obj, {}))

    # -- boolean structure ------------------------------------------------------------------

    def _bool(self, node: ast._Node) -> _Getter:
        if isinstance(node, ast.BoolOp):
            left, right = self._bool(node.left), self._bool(node.right)
            if isinstance(node.op, ast.And):
                return lambda o, e: left(o, e) and right(o, e)
            return lambda o, e: left(o, e) or right(o, e)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.info.operators.add("not")
            inner = self._bool(node.operand)
            return lambda o, e: not inner(o, e)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.CollectionLambda):
            return self._lambda(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Boolean):
            value = node.py_val
            return lambda o, e: value
        raise bad_request("Invalid filter clause")

    def _lambda(self, node: ast.CollectionLambda) -> _Getter:
        owner = self._value(node.owner)
        if node.lambda_ is None:
            return lambda o, e: bool(owner(o, e))
        var = node.lambda_.identifier.name
        self._lambda_vars[var] = _path_name(node.owner)
        body = self._bool(node.lambda_.expression)
        del self._lambda_vars[var]
        if isinstance(node.operator, ast.All):
            return lambda o, e: all(body(o, {**e, var: item}) for item in owner(o, e) or ())
        return lambda o, e: any(body(o, {**e, var: item}) for item in owner(o, e) or ())

    # -- comparisons ------------------------------------------------------------------------

    def _compare(self, node: ast.Compare) -> _Getter:
        comparator = node.comparator
        left_node, right_node = node.left, node.right
        if _is_literal(left_node) and not _is_literal(right_node):
            left_node, right_node = right_node, left_node
            comparator = _flip(comparator)
        left = self._value(left_node)
        name = type(comparator).__name__
        self.info.operators.add({"NotEq": "ne"}.get(name, name.lower()))
        if isinstance(right_node, ast.Null):
            name = _path_name(left_node)
            self.info.null_properties.append(self._lambda_vars.get(name, name))
            if isinstance(comparator, ast.Eq):
                return lambda o, e: left(o, e) is None
            if isinstance(comparator, ast.NotEq):
                return lambda o, e: left(o, e) is not None
            return lambda o, e: False
        if isinstance(comparator, ast.In):
            if not isinstance(right_node, ast.List):
                raise bad_request("Invalid filter clause")
            wanted = {self._literal(v) for v in right_node.val}
            return lambda o, e: _fold(left(o, e)) in wanted
        if isinstance(right_node, ast.DateTime | ast.Date):
            # Instants compare as their sortable keys, never case-folded: folding would turn
            # the key's 'T' into 't' and put every item of the literal's own day after it.
            literal, op = _literal_dt(right_node), _OPS[name]
            return lambda o, e: _safe(op, dt_key(left(o, e)), literal)
        if _is_literal(right_node):
            literal = self._literal(right_node)
        else:
            right = self._value(right_node)
            op = _OPS[name]
            return lambda o, e: _safe(op, _fold(left(o, e)), _fold(right(o, e)))
        op = _OPS[name]
        return lambda o, e: _safe(op, _fold(left(o, e)), literal)

    def _call(self, node: ast.Call) -> _Getter:
        func = node.func.name.lower()
        if func in ("startswith", "endswith", "contains"):
            if len(node.args) != 2:
                raise bad_request("Invalid filter clause")
            name = _path_name(node.args[0])
            self.info.calls.append((func, self._lambda_vars.get(name, name)))
            self.info.operators.add(func)
            subject = self._value(node.args[0])
            needle = self._literal(node.args[1]) if _is_literal(node.args[1]) else None
            if not isinstance(needle, str):
                raise bad_request("Invalid filter clause")
            method = {"startswith": str.startswith, "endswith": str.endswith}.get(func)

            def test(o: dict[str, Any], e: dict[str, Any]) -> bool:
                value = subject(o, e)
                if isinstance(value, list):
                    return any(_text_test(func, method, v, needle) for v in value)
                return _text_test(func, method, value, needle)

            return test
        raise bad_request(f"Invalid filter clause: unsupported function '{node.func.name}'")

    # -- values -------------------------------------------------------------------------------

    def _value(self, node: ast._Node) -> _Getter:
        if isinstance(node, ast.Identifier):
            name = node.name
            if name in self._lambda_vars:
                return lambda o, e: e.get(name)
            stored = self.resolve(name)
            self.info.properties.append(stored)
            return lambda o, e: o.get(stored)
        if isinstance(node, ast.Attribute):
            owner = self._value(node.owner)
            attr = node.attr
            if attr == "__count":
                self.info.operators.add("count")
                return lambda o, e: len(owner(o, e) or ())
            return lambda o, e: _lookup(owner(o, e), attr)
        if isinstance(node, ast.Call) and node.func.name.lower() in ("tolower", "toupper"):
            inner = self._value(node.args[0])
            return lambda o, e: inner(o, e)  # comparisons are case-insensitive anyway
        if _is_literal(node):
            value = self._literal(node)
            return lambda o, e: value
        raise bad_request("Invalid filter clause")

    @staticmethod
    def _literal(node: ast._Node) -> Any:
        if isinstance(node, ast.GUID):
            return node.val.lower()
        if isinstance(node, ast.Null):
            return None
        if isinstance(node, ast.DateTime | ast.Date):
            return _literal_dt(node)
        value = node.py_val
        return value.lower() if isinstance(value, str) else value


def _is_literal(node: ast._Node) -> bool:
    return isinstance(
        node,
        ast.String
        | ast.Integer
        | ast.Float
        | ast.Boolean
        | ast.Null
        | ast.GUID
        | ast.DateTime
        | ast.Date,
    )


def _path_name(node: ast._Node) -> str:
    if isinstance(node, ast.Identifier):
        return node.name
    if isinstance(node, ast.Attribute):
        return _path_name(node.owner)
    return ""


def _flip(comparator: ast._Node) -> ast._Node:
    flips = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
    return flips.get(type(comparator), type(comparator))()


def _text_test(func: str, method: Callable | None, value: Any, needle: str) -> bool:
    if not isinstance(value, str):
        return False
    if method is None:
        return needle in value.lower()
    return method(value.lower(), needle)


def _safe(op: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if left is None or right is None:
        return op in (_eq, _ne) and op(left, right)
    try:
        return op(left, right)
    except TypeError:
        return False


def _eq(a: Any, b: Any) -> bool:
    return a == b


def _ne(a: Any, b: Any) -> bool:
    return a != b


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "Eq": _eq,
    "NotEq": _ne,
    "Lt": lambda a, b: a < b,
    "LtE": lambda a, b: a <= b,
    "Gt": lambda a, b: a > b,
    "GtE": lambda a, b: a >= b,
}


def compile_filter(text: str, resolve: Callable[[str], str]) -> tuple[Predicate, FilterInfo]:
    """Parse and compile a $filter; unknown properties and bad syntax raise Graph's 400."""
    compiler = FilterCompiler(resolve)
    try:
        return compiler.compile(parse_filter(text)), compiler.info
    except GraphError:
        raise
    except (AttributeError, ValueError, TypeError) as exc:
        raise bad_request(f"Invalid filter clause: {exc}") from exc
