"""What the grammar produces: a RequestSpec, and the HTTP methods a cell may name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# The order is the order the "unknown HTTP method" error lists them in.
METHODS: tuple[str, ...] = ("GET", "POST", "PATCH", "PUT", "DELETE")
# Graph takes no body on these, so a body there is a mistake (often a missing '###').
BODYLESS_METHODS: frozenset[str] = frozenset({"GET", "DELETE"})
# A word followed by white space: where a request line's method stands, if it names one.
METHOD_WORD = re.compile(r"[A-Za-z]+(?=\s)")


@dataclass(frozen=True)
class RequestSpec:
    """One request of a cell, ready for the connector.

    ``path`` is relative to the version root and already percent-encoded where a value was
    interpolated; ``params`` hold decoded values that the sender URL-encodes exactly once.
    ``body`` is JSON values, or ``bytes`` to send exactly (a text body encoded, a bytes value).
    """

    id: str
    method: str
    target: str
    path: str
    version: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    depends_on: tuple[str, ...] = ()
    line: int = 1
