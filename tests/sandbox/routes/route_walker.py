"""Walks the sandbox's router: every registered route as concrete requests with real ids.

A route is a regex (``/users/(?P<id>[^/]+)/memberOf``); the walker reads the small part of
regex syntax the routes use (literals, escapes, groups, alternatives, ``?``, character classes
inside a named group) and refuses anything else, so a new route with new syntax fails loudly
instead of being skipped. Each alternative becomes one path template (``manager|memberOf`` are
two routes to Graph); a named group with a character class is a slot, filled with the first id
of the collection in front of it, fetched from the sandbox itself.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from graph_magic.sandbox.app import GraphService
from graph_magic.sandbox.entra.tokens import Principal
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Handler

#: Slot values no collection can give (a function's argument), by group name.
SAMPLE_VALUES = {"period": "D7"}
FALLBACK_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Slot:
    """A named group that stands for a value: its name and its regex."""

    name: str
    regex: str


Part = str | Slot


class UnreadablePattern(ValueError):
    """A route pattern uses regex syntax the walker does not read: teach it, do not skip."""


class _Reader:
    """Expands a pattern into its alternatives, each a list of literal text and slots."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0

    def refuse(self, why: str) -> UnreadablePattern:
        return UnreadablePattern(f"route pattern {self.text!r} at {self.at}: {why}")

    def alternation(self) -> list[list[Part]]:
        found = self.sequence()
        while self.at < len(self.text) and self.text[self.at] == "|":
            self.at += 1
            found += self.sequence()
        return found

    def sequence(self) -> list[list[Part]]:
        found: list[list[Part]] = [[]]
        while self.at < len(self.text) and self.text[self.at] not in "|)":
            options = self.item()
            if self.at < len(self.text) and self.text[self.at] == "?":
                self.at += 1
                options = [*options, []]
            found = [head + tail for head, tail in itertools.product(found, options)]
        return found

    def item(self) -> list[list[Part]]:
        char = self.text[self.at]
        if char == "\\":
            self.at += 2
            return [[self.text[self.at - 1]]]
        if char == "(":
            return self.group()
        if char == "[":
            raise self.refuse("a character class outside a named group")
        if char in ".*+{}^$":
            raise self.refuse(f"the regex operator {char!r}")
        self.at += 1
        return [[char]]

    def group(self) -> list[list[Part]]:
        start = self.at
        name = None
        match = re.compile(r"\(\?P<(\w+)>").match(self.text, self.at)
        if match:
            name, self.at = match.group(1), match.end()
        elif self.text.startswith("(?:", self.at):
            self.at += 3
        elif self.text.startswith("(?", self.at):
            raise self.refuse("a group kind other than (?P<name>...) and (?:...)")
        else:
            self.at += 1
        if name is not None and "[" in self._body(start):
            self.at = self._close(start)
            return [[Slot(name, self._body(start))]]
        found = self.alternation()
        if self.at >= len(self.text) or self.text[self.at] != ")":
            raise self.refuse("an unclosed group")
        self.at += 1
        return found

    def _close(self, start: int) -> int:
        """The index after the ``)`` closing the group opened at ``start``."""
        depth, index = 0, start
        while index < len(self.text):
            char = self.text[index]
            if char == "\\":
                index += 2
                continue
            if char == "[":
                index = self.text.index("]", index) + 1
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            index += 1
            if depth == 0:
                return index
        raise self.refuse("an unclosed group")

    def _body(self, start: int) -> str:
        inner = self.text[start : self._close(start) - 1]
        return inner.split(">", 1)[1] if inner.startswith("(?P<") else inner


def templates(pattern: str) -> list[list[Part]]:
    """Every alternative of a route pattern, as literal text and slots."""
    reader = _Reader(pattern)
    found = reader.alternation()
    if reader.at != len(pattern):
        raise reader.refuse("text after the pattern")
    return found


def display(parts: list[Part]) -> str:
    """``/users/{id}/memberOf``: a template as the walker reports it."""
    return "".join(part if isinstance(part, str) else f"{{{part.name}}}" for part in parts)


@dataclass
class Walker:
    """Runs requests on one sandbox service as an app principal holding exactly some roles."""

    service: GraphService

    def principal(self, roles: frozenset[str]) -> Principal:
        """An app principal holding exactly ``roles``."""
        return Principal("app", "route-walker", "", roles, frozenset(), None, None, 2**40)

    def delegated(self, scopes: frozenset[str], user_id: str) -> Principal:
        """A principal signed in as ``user_id`` holding exactly ``scopes``."""
        return Principal("delegated", "route-walker", "", frozenset(), scopes, user_id, None, 2**40)

    def run(self, method: str, path: str, roles: frozenset[str]) -> GraphResponse:
        """The sandbox's answer to an app principal holding ``roles``."""
        return self.send(method, path, self.principal(roles))

    def send(self, method: str, path: str, principal: Principal) -> GraphResponse:
        """The sandbox's answer to ``principal`` (writes send an empty JSON object)."""
        body = b"{}" if method in ("POST", "PATCH", "PUT") else b""
        origin = "https://graph.microsoft.com"
        return self.service.run(GraphRequest(method, "v1.0", path, [], {}, body, origin, principal))

    def first_id(self, collection: str, roles: frozenset[str]) -> str | None:
        """The id of the first item the collection lists now (None: it lists none, or fails)."""
        answer = self.run("GET", collection, roles)
        if answer.status != 200 or "json" not in (answer.content_type or ""):
            return None
        items = json.loads(answer.body).get("value") or [{}]
        return items[0].get("id") if isinstance(items[0], dict) else None

    def concrete(self, parts: list[Part], everything: frozenset[str]) -> str:
        """The path with each slot filled: an id from the collection before it, fetched now
        (writes of earlier requests may have deleted the previous one)."""
        path = ""
        for part in parts:
            if isinstance(part, str):
                path += part
                continue
            value = self.first_id(path.rstrip("/"), everything) if not path.endswith("'") else None
            value = value or SAMPLE_VALUES.get(part.name, FALLBACK_ID)
            # an id, a key in parentheses, or an alternate key: /applications(appId='...')
            keys = re.findall(r"\\\((\w+)=", part.regex)
            forms = (value, f"('{value}')", *(f"({key}='{value}')" for key in keys))
            path += next((form for form in forms if re.fullmatch(part.regex, form)), value)
        return path


def routes(service: GraphService) -> Iterator[tuple[str, list[Part], Handler]]:
    """(method, template, handler) for every route of the service's router, alternatives apart."""
    for method, pattern, handler in service.router.routes():
        for parts in templates(pattern):
            yield method, parts, handler
