"""``Knowledge``: one cloud's Graph metadata and the permissions map behind one small API.

``Knowledge.for_cloud(cloud)`` costs nothing; the cloud's schema index is read on the first
question about types or paths, the permissions index on the first question about
permissions, and both stay cached for the process (usgov and usgovdod share one schema).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, cached_property, lru_cache

from . import resolve as _resolve
from .model import Child, Navigation, Operation, PermissionAnswer, Property, Resolution
from .permissions import Permissions
from .schema import Schema
from .store import PERMISSIONS_FILE, load, metadata_document, schema_file


@cache
def _schema(name: str) -> Schema:
    return Schema(load(name))


@lru_cache(maxsize=1)
def _permissions() -> Permissions:
    return Permissions(load(PERMISSIONS_FILE))


class Knowledge:
    """What Microsoft's v1.0 metadata says about paths, types and permissions in one cloud.

    Type names may be short (``user``) or qualified (``microsoft.graph.user``); answers use
    qualified names. An unknown type name raises UnknownTypeError with the near names.
    """

    def __init__(self, cloud: str) -> None:
        self.cloud = cloud
        self._file = schema_file(cloud)

    @classmethod
    def for_cloud(cls, cloud: str = "global") -> Knowledge:
        """The (cached) Knowledge of ``cloud``: global, usgov, usgovdod or china."""
        return _for_cloud(cloud)

    def __repr__(self) -> str:
        return f"Knowledge(cloud={self.cloud!r})"

    @cached_property
    def schema(self) -> Schema:
        """The cloud's type index (read on first use)."""
        return _schema(self._file)

    @property
    def permission_map(self) -> Permissions:
        """The permissions index (read on first use, shared by every cloud)."""
        return _permissions()

    def metadata_document(self) -> bytes:
        """The CSDL XML itself (Graph's ``$metadata``); UnknownCloudError where none ships."""
        return metadata_document(self.cloud)

    def resolve(self, path: str, *, suggestions: bool = True) -> Resolution:
        """Where ``path`` leads: its type and shape, or where it stopped being known.

        ``suggestions=False`` skips the "did you mean" search (milliseconds on a long list of
        types), for callers that only ask whether the path is known.
        """
        return _resolve.resolve(self.schema, path, suggestions=suggestions)

    def children(self, path: str = "/") -> tuple[Child, ...]:
        """What may follow ``path``: the completion candidates for its next segment."""
        return _resolve.children(self.schema, path)

    def type_name(self, name: str) -> str:
        """The qualified name of a type or enum, or UnknownTypeError."""
        return self.schema.require(name)

    def properties(self, type_name: str) -> tuple[Property, ...]:
        """A type's structural properties, its base types' included."""
        return self.schema.properties(self.schema.require(type_name))

    def property(self, type_name: str, name: str) -> Property | None:
        """One property of a type, by name in any case, or None."""
        lower = name.lower()
        return next((p for p in self.properties(type_name) if p.name.lower() == lower), None)

    def navigation(self, type_name: str) -> tuple[Navigation, ...]:
        """A type's navigation properties, its base types' included."""
        return self.schema.navigation(self.schema.require(type_name))

    def bound_operations(self, type_name: str, collection: bool = False) -> tuple[Operation, ...]:
        """Functions and actions bound to the type (``collection``: to a collection of it)."""
        return self.schema.operations(self.schema.require(type_name), collection)

    def derived_types(self, type_name: str) -> tuple[str, ...]:
        """The types deriving from ``type_name``: what a cast segment may name."""
        return self.schema.derived(self.schema.require(type_name))

    def enum_members(self, type_name: str, property_name: str | None = None) -> tuple[str, ...]:
        """The members of an enum type, or of the enum a type's property has; else empty."""
        if property_name is not None:
            found = self.property(type_name, property_name)
            return self.schema.enum_members(found.type) if found else ()
        return self.schema.enum_members(self.schema.require(type_name))

    def permissions(self, method: str, path: str) -> PermissionAnswer:
        """The permissions that allow ``method path``, least-privileged first."""
        return self.permission_map.answer(method, path)

    def allows(
        self, method: str, path: str, roles: Iterable[str] = (), scopes: Iterable[str] = ()
    ) -> bool | None:
        """Whether a token's ``roles``/``scp`` claims allow the request; None: not known."""
        return self.permission_map.allows(method, path, roles=roles, scopes=scopes)


@cache
def _for_cloud(cloud: str) -> Knowledge:
    return Knowledge(cloud)
