"""The words offered at a Spot: Graph's own names from the knowledge, or a few fixed ones.

Methods, ``$`` option names and header names are the same for every Graph version and cloud,
so they are always offered. Everything read from the metadata (path segments, properties, enum
members) is offered only for a v1.0 request on a cloud the knowledge has, and nothing
otherwise: ``beta`` and unknown hosts get no completion rather than a wrong one. The knowledge
is imported on the first completion that needs it, never at ``%load_ext``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph_magic.connector.config import SystemConfig
from graph_magic.notebook.cell import METHODS
from graph_magic.notebook.completion._spot import Request, Spot, locate
from graph_magic.notebook.completion._values import Want, want
from graph_magic.notebook.options import graph_version

if TYPE_CHECKING:
    from graph_magic.knowledge import Knowledge

#: The system a request runs on, by the name ``--system`` gave (None: the current one).
Systems = Callable[[str | None], SystemConfig | None]

OPTIONS = ("$count", "$expand", "$filter", "$format", "$orderby", "$search", "$select", "$skip")
OPTIONS += ("$top",)
#: Request headers Graph's documentation uses, with the values worth offering.
HEADERS: dict[str, tuple[str, ...]] = {
    "Accept": ("application/json",),
    "Accept-Language": (),
    "client-request-id": (),
    "ConsistencyLevel": ("eventual",),
    "Content-Type": ("application/json", "text/plain", "application/octet-stream"),
    "If-Match": (),
    "If-None-Match": (),
    "Prefer": (
        'IdType="ImmutableId"',
        "include-unknown-enum-members",
        'outlook.body-content-type="text"',
        'outlook.body-content-type="html"',
        "outlook.timezone=",
        "odata.maxpagesize=",
        "respond-async",
        "return=minimal",
        "return=representation",
    ),
    "return-client-request-id": ("true",),
}
# The order path segments are offered in: keys first, casts (often many) last.
_PATH_RANK = {"key": 0, "entitySet": 1, "singleton": 1, "navigation": 1, "cast": 4}
_PATH_RANK |= {"function": 2, "action": 2, "count": 3, "value": 3}
_KIND_LABEL = {"entitySet": "entity set", "count": "system", "value": "system"}


@dataclass(frozen=True)
class Suggestion:
    """One word offered, and what it is (``entity set``, ``property``, ``header``, ...)."""

    text: str
    type: str


@dataclass(frozen=True)
class Completions:
    """The words that may replace ``start`` up to ``end`` (the cursor), in the order shown."""

    start: int
    end: int
    suggestions: tuple[Suggestion, ...] = ()


def complete(
    text: str, cursor: int, parser: argparse.ArgumentParser, systems: Systems
) -> Completions:
    """What may replace the word before ``cursor`` in ``text``, a whole cell or a line.

    ``parser`` is the magic's (it tells which options take a value, and reads ``--system`` and
    ``--beta``); ``systems`` gives the system a request runs on. Outside a ``%%graph`` cell or
    a ``%graph`` line, and where nothing is known, the answer holds no suggestions.
    """
    spot = locate(text, cursor, parser)
    if spot is None:
        return Completions(cursor, cursor)
    return suggest(spot, cursor, systems)


def suggest(spot: Spot, cursor: int, systems: Systems) -> Completions:
    """What may replace the word ending at ``cursor``, which ``spot`` describes."""
    if spot.kind == "value":
        return _value(spot, cursor, systems)
    if spot.kind == "path":
        words = _path(spot, systems)
    elif spot.kind == "method":
        words = [Suggestion(method, "method") for method in METHODS]
    elif spot.kind == "option":
        words = [Suggestion(option, "option") for option in OPTIONS]
    elif spot.kind == "header":
        words = [Suggestion(name, "header") for name in sorted(HEADERS, key=str.lower)]
    else:
        values = next((v for k, v in HEADERS.items() if k.lower() == spot.name.lower()), ())
        words = [Suggestion(value, "header value") for value in values]
    return Completions(spot.start, cursor, _matching(words, spot.text))


def _knowledge(request: Request, systems: Systems) -> Knowledge | None:
    """The knowledge for ``request``: v1.0 on a known cloud, else None (nothing is offered)."""
    system = systems(request.system)
    if system is None:
        return None
    # Here, not at the top: the knowledge package loads on the first Tab that needs it.
    from graph_magic.knowledge import Knowledge

    version = graph_version(request.beta, request.version, system.version)
    cloud = system.cloud
    if version != "v1.0" or cloud is None:
        return None
    return Knowledge.for_cloud(cloud)


def _path(spot: Spot, systems: Systems) -> list[Suggestion]:
    knowledge = _knowledge(spot.request, systems)
    if knowledge is None:
        return []
    children = sorted(
        knowledge.children(spot.request.path),
        key=lambda child: (_PATH_RANK.get(child.kind, 2), child.name.lower()),
    )
    return [Suggestion(child.name, _KIND_LABEL.get(child.kind, child.kind)) for child in children]


def _value(spot: Spot, cursor: int, systems: Systems) -> Completions:
    """A word in an option's value: ``$select``'s properties, ``$filter``'s operators, ..."""
    found = want(spot.name, spot.text)
    if found is None:
        return Completions(cursor, cursor)
    start = spot.start + found.start
    words: list[Suggestion] = [Suggestion(word, found.label) for word in found.words]
    if found.what != "words":
        knowledge = _knowledge(spot.request, systems)
        words = _typed(knowledge, spot.request.path, found) if knowledge else []
    return Completions(start, cursor, _matching(words, spot.text[found.start :]))


def _typed(knowledge: Knowledge, path: str, found: Want) -> list[Suggestion]:
    """The names of the type ``path`` leads to that ``found`` asks for."""
    resolution = knowledge.resolve(path)
    type_name = resolution.type
    if not resolution.known or type_name is None or not knowledge.schema.is_structured(type_name):
        return []
    if found.what == "navigation":
        names = sorted((n.name for n in knowledge.navigation(type_name)), key=str.lower)
        return [
            Suggestion(name, "navigation") for name in names if name.lower() not in found.listed
        ]
    if found.what == "properties":
        names = sorted((p.name for p in knowledge.properties(type_name)), key=str.lower)
        return [Suggestion(name, "property") for name in names if name.lower() not in found.listed]
    prop = knowledge.property(type_name, found.property)
    if prop is None:
        return []
    if prop.type == "Edm.Boolean":
        return [Suggestion("true", "keyword"), Suggestion("false", "keyword")]
    return [Suggestion(f"'{m}'", "enum") for m in knowledge.enum_members(type_name, prop.name)]


def _matching(words: Iterable[Suggestion], typed: str) -> tuple[Suggestion, ...]:
    """The words that start with what was typed, in any case; a quote may be left out."""
    lower = typed.lower()
    bare = lower.lstrip("'")
    return tuple(
        word
        for word in words
        if word.text.lower().startswith(lower)
        or (word.text.startswith("'") and word.text[1:].lower().startswith(bare))
    )
