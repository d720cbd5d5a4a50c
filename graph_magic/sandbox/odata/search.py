"""Graph's $search on directory objects: quoted ``"property:value"`` clauses, AND/OR, tokens.

Matching is tokenized, not substring: text splits on spaces, symbols, lower-to-upper case changes
and letter/digit boundaries, and every token of the query must start a token of the property (in
any order, ignoring case). displayName and description are tokenized; other properties fall back
to startsWith, as Graph does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox.graph_errors import bad_request

Predicate = Callable[[dict[str, Any]], bool]
TOKENIZED = frozenset({"displayName", "description"})
_TOKEN_RE = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
_CASE_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def tokenize(text: str) -> list[str]:
    """Graph's search tokens of a text, lower-cased; symbols also join their neighbours."""
    tokens: list[str] = []
    for word in text.split():
        pieces = []
        for piece in _TOKEN_RE.findall(word):
            pieces.extend(p for p in _CASE_RE.split(piece) if p)
        tokens.extend(p.lower() for p in pieces)
        if any(not p.isalnum() for p in pieces) and len(pieces) > 1:
            tokens.append("".join(p for p in pieces if p.isalnum()).lower())
    return tokens


def compile_search(text: str, resolve: Callable[[str], str]) -> Predicate:
    """A predicate for a $search expression, or Graph's 400 when it is not quoted clauses."""
    parser = _SearchParser(text, resolve)
    predicate = parser.parse()
    return predicate


class _SearchParser:
    def __init__(self, text: str, resolve: Callable[[str], str]) -> None:
        self.text = text
        self.pos = 0
        self.resolve = resolve

    def parse(self) -> Predicate:
        predicate = self._or()
        self._skip()
        if self.pos != len(self.text):
            self._fail()
        return predicate

    def _fail(self) -> None:
        char = self.text[self.pos] if self.pos < len(self.text) else ""
        raise bad_request(
            f"Syntax error: character '{char}' is not valid at position {self.pos} in "
            f"'{self.text}'.",
            code="BadRequest",
        )

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _keyword(self, word: str) -> bool:
        self._skip()
        if self.text.startswith(word, self.pos) and (
            self.pos + len(word) == len(self.text) or not self.text[self.pos + len(word)].isalnum()
        ):
            self.pos += len(word)
            return True
        return False

    def _or(self) -> Predicate:
        terms = [self._and()]
        while self._keyword("OR"):
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else (lambda o: any(t(o) for t in terms))

    def _and(self) -> Predicate:
        terms = [self._atom()]
        while self._keyword("AND"):
            terms.append(self._atom())
        return terms[0] if len(terms) == 1 else (lambda o: all(t(o) for t in terms))

    def _atom(self) -> Predicate:
        self._skip()
        if self.pos < len(self.text) and self.text[self.pos] == "(":
            self.pos += 1
            inner = self._or()
            self._skip()
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                self._fail()
            self.pos += 1
            return inner
        if self.pos >= len(self.text) or self.text[self.pos] != '"':
            self._fail()
        self.pos += 1
        chars = []
        while self.pos < len(self.text) and self.text[self.pos] != '"':
            if self.text[self.pos] == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
            chars.append(self.text[self.pos])
            self.pos += 1
        if self.pos >= len(self.text):
            self._fail()
        self.pos += 1
        clause = "".join(chars)
        prop, sep, value = clause.partition(":")
        if not sep:
            self.pos -= 1
            self._fail()
        return _clause(self.resolve(prop.strip()), value.strip())


def _clause(prop: str, value: str) -> Predicate:
    if prop in TOKENIZED:
        wanted = tokenize(value)

        def match(obj: dict[str, Any]) -> bool:
            text = obj.get(prop)
            if not isinstance(text, str):
                return False
            have = tokenize(text)
            return all(any(h.startswith(w) for h in have) for w in wanted)

        return match
    lowered = value.lower()

    def starts(obj: dict[str, Any]) -> bool:
        text = obj.get(prop)
        values = text if isinstance(text, list) else [text]
        return any(isinstance(v, str) and v.lower().startswith(lowered) for v in values)

    return starts
