"""Which permissions allow a request, from Microsoft's permissions map, and whether a token has one.

The map keys its grants by path templates (``/users/{id}/memberof``); a concrete path is
matched onto them token by token, a literal segment before ``{id}``, backtracking when a
literal leads nowhere, so ``/users/delta`` finds ``delta`` and ``/users/abc/memberOf`` finds
``{id}``. When the map has no template, the readings it implies are tried (``/me/...`` as
``/users/{id}/...``, a cast, ``$count`` or ``$ref`` left out; see ``_readings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import cast

from .model import PermissionAnswer, SchemePermissions
from .paths import ADDRESS, ID, template_key
from .store import Index

_END = "\0"
_Trie = dict[str, "_Trie | str"]
_NONE = SchemePermissions()


class Permissions:
    """Query the permissions index (the same for every cloud)."""

    def __init__(self, index: Index) -> None:
        self._paths = cast(dict[str, dict[str, str]], index["paths"])
        self._schemes = cast(list[str], index["schemes"])
        self._names = cast(list[str], index["names"])
        self._also: dict[tuple[str, str, str], dict[str, tuple[str, ...]]] = {}
        for key, names in cast(dict[str, list[str]], index["also_requires"]).items():
            method, template, permission, scheme = key.split(" ")
            self._also.setdefault((method, template, scheme), {})[permission] = tuple(names)

    @cached_property
    def _trie(self) -> _Trie:
        root: _Trie = {}
        for template in self._paths:
            node = root
            for token in template.split("/"):
                node = cast(_Trie, node.setdefault(token, {}))
            node[_END] = template
        return root

    def match(self, path: str, method: str | None = None) -> str | None:
        """The map's template for ``path`` (``users/{id}/memberof``) and ``method``, or None."""
        tokens = list(template_key(path))
        wanted = method.upper() if method else None
        for candidate in _readings(tokens):
            found = _walk(
                self._trie, candidate, lambda t: wanted is None or wanted in self._paths[t]
            )
            if found is not None:
                return found
        return None

    def answer(self, method: str, path: str) -> PermissionAnswer:
        """What allows ``method path``: least-privileged and other permissions per scheme."""
        method = method.upper()
        template = self.match(path, method)
        if template is None:
            return PermissionAnswer(method, path, None, _NONE, _NONE, _NONE)
        buckets = [
            tuple(self._names[int(n)] for n in bucket.split(",") if n)
            for bucket in self._paths[template][method].split(";")
        ]
        by_scheme = {
            scheme: SchemePermissions(
                buckets[2 * i],
                buckets[2 * i + 1],
                tuple(sorted(self._also.get((method, template, scheme), {}).items())),
            )
            for i, scheme in enumerate(self._schemes)
        }
        if template_key(path)[:1] == ("me",) and not template.startswith("me"):
            by_scheme.pop("Application", None)  # read as /users/{id}: /me needs a signed-in user
        return PermissionAnswer(
            method,
            path,
            template,
            delegated=by_scheme.get("DelegatedWork", _NONE),
            application=by_scheme.get("Application", _NONE),
            personal=by_scheme.get("DelegatedPersonal", _NONE),
        )

    def allows(
        self, method: str, path: str, roles: Iterable[str] = (), scopes: Iterable[str] = ()
    ) -> bool | None:
        """Whether a token with these ``roles`` (app) or ``scopes`` (delegated) may do this.

        None when the map does not know the request: no answer rather than a wrong one. A
        permission the map says needs another beside it counts only with one of those.
        """
        answer = self.answer(method, path)
        if not answer.known:
            return None
        held_roles = {role.lower() for role in roles}
        held_scopes = {scope.lower() for scope in scopes}
        return (
            _grants(answer.application, held_roles)
            or _grants(answer.delegated, held_scopes)
            or _grants(answer.personal, held_scopes)
        )


def _grants(scheme: SchemePermissions, held: set[str]) -> bool:
    """Whether a held permission allows it in ``scheme``, with what it also requires."""
    needs = {name.lower(): {n.lower() for n in names} for name, names in scheme.also_requires}
    return any(
        name.lower() in held and (name.lower() not in needs or bool(needs[name.lower()] & held))
        for name in scheme.all
    )


def _readings(tokens: list[str]) -> list[list[str]]:
    """The path as written, then the readings the map implies when it has no template.

    ``/me/...`` reads as ``/users/{id}/...``; a cast reads as the path without it (the map
    lists ``/users/{id}/memberof`` once, not per type); ``$count`` as the collection it counts
    and ``$ref`` as the relationship it names (``/groups/{id}/members/{id}``).
    """
    readings = [tokens]
    if tokens and tokens[0] == "me":
        readings.append(["users", ID, *tokens[1:]])
    for reading in list(readings):
        uncast = [token for token in reading if not _is_cast(token)]
        if uncast != reading:
            readings.append(uncast)
    for reading in list(readings):
        if len(reading) > 1 and reading[-1] in ("$count", "$ref"):
            readings.append(reading[:-1])
    return readings


def _is_cast(token: str) -> bool:
    """A cast segment (``microsoft.graph.group``): a type, never a key."""
    return token.startswith("microsoft.graph.")


def _walk(node: _Trie, tokens: list[str], accept: Callable[[str], bool]) -> str | None:
    if not tokens:
        end = node.get(_END)
        return end if isinstance(end, str) and accept(end) else None
    head, rest = tokens[0], tokens[1:]
    keyable = (
        not head.startswith("$") and "(" not in head and head != ADDRESS and not _is_cast(head)
    )
    for option in dict.fromkeys((head, ID) if keyable else (head,)):
        child = node.get(option)
        if isinstance(child, dict):
            found = _walk(child, rest, accept)
            if found is not None:
                return found
    return None
