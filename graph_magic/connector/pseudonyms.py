"""Pseudonyms: stable fake values for chosen properties, so a recorded cassette can be shared.

A recording may replace the values of chosen properties (``mail``, ``userPrincipalName``,
``displayName``...) wherever they appear in Graph's JSON answers, at any depth and in lists of
strings. The same real value always becomes the same fake one, whichever property or page it is
met on (a user's ``mail`` and ``userPrincipalName`` are often the same string and stay equal, so
joins still work). A later request that carries a value already replaced (a UPN taken from an
earlier answer into a URL) is recorded with the fake value too, which is what a replay of the
same notebook will send. A value first written by hand in a request stays as written, and so
does a value shorter than 4 characters (it would match inside other words).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.cassette import CanonicalRequest

__all__ = ["Pseudonymiser"]


class Pseudonymiser:
    """Replaces the values of ``properties`` by numbered fakes, the same value by the same fake.

    Fakes keep the shape analysts rely on: an address stays an address
    (``user0003@example.com``), anything else becomes ``<property> 0003``.
    """

    def __init__(self, properties: Collection[str]) -> None:
        self.properties = frozenset(properties)
        self._fakes: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.properties)

    def answer(self, value: Any) -> Any:
        """A copy of a decoded JSON answer with the chosen properties' values replaced."""
        if not self.properties:
            return value
        return self._walk(value)

    def request(self, request: CanonicalRequest) -> CanonicalRequest:
        """``request`` with every value already replaced in an answer replaced in it too."""
        if not self._fakes:
            return request
        query = sorted((key, self.request_text(value)) for key, value in request.query)
        body = request.body
        if body is not None:
            body = json.loads(self.request_text(json.dumps(body, ensure_ascii=False)))
        return dataclasses.replace(
            request, path=self.request_text(request.path), query=tuple(query), body=body
        )

    def request_text(self, text: str) -> str:
        """``text`` (a path, a query, a body) with every value already replaced, replaced."""
        if not self._fakes or not text:
            return text
        if self._pattern is None:
            known = sorted((v for v in self._fakes if len(v) >= 4), key=len, reverse=True)
            if not known:
                return text
            self._pattern = re.compile("|".join(re.escape(value) for value in known))
        return self._pattern.sub(lambda found: self._fakes[found.group()], text)

    def _walk(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {key: self._member(key, value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._walk(item) for item in node]
        return node

    def _member(self, key: str, value: Any) -> Any:
        if key not in self.properties:
            return self._walk(value)
        if isinstance(value, str):
            return self._fake(key, value)
        if isinstance(value, list):
            return [self._fake(key, v) if isinstance(v, str) else self._walk(v) for v in value]
        return self._walk(value)

    def _fake(self, key: str, value: str) -> str:
        if not value:
            return value
        fake = self._fakes.get(value)
        if fake is None:
            kind = "@" if "@" in value else key
            number = self._counts[kind] = self._counts.get(kind, 0) + 1
            fake = f"user{number:04d}@example.com" if kind == "@" else f"{key} {number:04d}"
            self._fakes[value] = fake
            self._pattern = None
        return fake
