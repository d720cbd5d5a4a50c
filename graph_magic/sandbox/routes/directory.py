"""Graph's directory-wide reads: /organization, /directoryRoles with their members, and
/directoryObjects (one object by id, ``getByIds``).

Directory roles are addressed by object id or by ``roleTemplateId`` (``(roleTemplateId='...')``
or the docs' ``roleTemplateId=...``), the same in every tenant; ``/directoryObjects`` serves any
object type, each item naming its type in ``@odata.type``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.knowledge import Knowledge
from graph_magic.sandbox.graph_errors import bad_request, not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import ID, TenantRoutes, json_object, key_of, require

_BY_TEMPLATE = r"(?P<id>\(roleTemplateId='[^/]+'\))"
_TEMPLATE_FORMS = ("(roleTemplateId='", "roleTemplateId=")
_TYPES = {
    "user": "users",
    "group": "groups",
    "device": "devices",
    "application": "applications",
    "serviceprincipal": "servicePrincipals",
    "directoryrole": "directoryRoles",
}
"""``getByIds`` ``types`` (any case, with or without ``microsoft.graph.``) and their specs."""
MAX_IDS = 1000


class DirectoryRoutes(TenantRoutes):
    """The organization, directory role and directoryObject handlers of one tenant."""

    def register(self, router: Router) -> None:
        """Add the routes (``getByIds`` before ``{id}``, which would match it)."""
        add = router.add
        add("GET", r"/organization", self.list_organization)
        add("GET", rf"/organization/{ID}", self.get_organization)
        add("GET", r"/directoryRoles", self.list_roles)
        add("GET", rf"/directoryRoles{_BY_TEMPLATE}/members", self.role_members)
        add("GET", rf"/directoryRoles/{ID}/members", self.role_members)
        add("GET", rf"/directoryRoles{_BY_TEMPLATE}", self.get_role)
        add("GET", rf"/directoryRoles/{ID}", self.get_role)
        add("POST", r"/directoryObjects/getByIds", self.get_by_ids)
        add("GET", rf"/directoryObjects/{ID}", self.get_directory_object)

    # ----- organization ----------------------------------------------------------------------

    def list_organization(self, req: GraphRequest) -> GraphResponse:
        """GET /organization: the tenant's one organization (a delegated user may read it)."""
        require(req, "organization", also=frozenset({"User.Read"}))
        spec = self.engine.specs["organization"]
        return self.engine.collection_response(spec, req, self.tenant.organization)

    def get_organization(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /organization/{tenantId}."""
        require(req, "organization", also=frozenset({"User.Read"}))
        org = self.tenant.organization[0]
        if key_of(id).lower() != org["id"]:
            raise not_found(key_of(id))
        return self.engine.entity_response(self.engine.specs["organization"], req, org)

    # ----- directory roles -------------------------------------------------------------------

    def list_roles(self, req: GraphRequest) -> GraphResponse:
        """GET /directoryRoles: the activated roles (Graph does not page them)."""
        require(req, "directoryRoles")
        spec = self.engine.specs["directoryRoles"]
        return self.engine.collection_response(spec, req, self.tenant.directory_roles)

    def get_role(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /directoryRoles/{id}, or by its roleTemplateId."""
        require(req, "directoryRoles")
        role = self._role(id)
        return self.engine.entity_response(self.engine.specs["directoryRoles"], req, role)

    def role_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /directoryRoles/{id}/members: the role's holders as typed directoryObjects."""
        require(req, "directoryRoles")
        role = self._role(id)
        items = self.engine.related(role["id"], "members")
        return self.engine.collection_response(
            self.engine.specs["users"], req, items, context="directoryObjects", typed=True
        )

    def _role(self, raw: str) -> dict[str, Any]:
        """The role named by object id or roleTemplateId, or Graph's 404."""
        key = raw
        for form in _TEMPLATE_FORMS:
            if raw.startswith(form):
                key = raw[len(form) :].removesuffix("')")
                for role in self.tenant.directory_roles:
                    if role["roleTemplateId"] == key.lower():
                        return role
                raise not_found(key)
        found = self.tenant.find_object(key)
        if found is None or "roleTemplateId" not in found:
            raise not_found(key)
        return found

    # ----- directoryObjects ------------------------------------------------------------------

    def get_directory_object(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /directoryObjects/{id}: any object, typed, in its type's default shape."""
        require(req, "directoryObjects")
        obj = self.tenant.find_object(key_of(id))
        if obj is None:
            raise not_found(key_of(id))
        spec = self.engine.spec_of(obj)
        return self.engine.entity_response(spec, req, obj, context="directoryObjects", typed=True)

    def get_by_ids(self, req: GraphRequest) -> GraphResponse:
        """POST /directoryObjects/getByIds: the objects found, in the order asked (unknown ids
        are left out, not an error), limited to ``types`` when given."""
        require(req, "directoryObjects")
        body = json_object(req)
        ids, types = body.get("ids"), body.get("types")
        if not _strings(ids) or not ids:
            raise bad_request(ge.PROPERTY_REQUIRED.format(prop="ids"))
        if len(ids) > MAX_IDS:
            raise bad_request(ge.TOO_MANY_IDS)
        wanted = self._types(types)
        value = []
        for object_id in dict.fromkeys(ids):
            obj = self.tenant.find_object(object_id)
            if obj is None:
                continue
            spec = self.engine.spec_of(obj)
            if wanted is None or spec.name in wanted:
                value.append(project(spec, obj, (), typed=True))
        head = {"@odata.context": context_url(req, "directoryObjects")}
        return json_response({**head, "value": value})

    @staticmethod
    def _types(types: Any) -> set[str] | None:
        """The collections ``types`` names (None: every type), or Graph's 400."""
        if types is None:
            return None
        if not _strings(types):
            raise bad_request("One or more properties contains invalid values.")
        wanted = set()
        for name in types:
            short = name.lower().removeprefix("microsoft.graph.")
            if short == "directoryobject":
                return None
            if short in _TYPES:
                wanted.add(_TYPES[short])
            elif short not in _directory_types():  # a real type the tenant holds none of: fine
                raise bad_request(ge.INVALID_VALUE.format(prop="types", resource="getByIds"))
        return wanted


@cache
def _directory_types() -> frozenset[str]:
    """Every type Graph's metadata derives from directoryObject, short and lower-cased (read
    from the knowledge index on the first ``types`` naming a type the sandbox does not hold)."""
    derived = Knowledge.for_cloud("global").derived_types("directoryObject")
    return frozenset(name.removeprefix("microsoft.graph.").lower() for name in derived)


def _strings(value: Any) -> bool:
    """Whether ``value`` is a JSON array of strings."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
