"""A group's links to members and owners written with the group: ``members@odata.bind`` and
``owners@odata.bind`` in POST and PATCH /groups, and owners by reference (``owners/$ref``).

Graph's rules: each bind is a list of object URLs (``.../users/{id}``,
``.../directoryObjects/{id}``); at most 20 link changes in one request, members and owners
together; an unknown object is a 404 and nothing is written; a group's members may be users,
groups, devices or service principals, its owners only users or service principals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request, not_found, unsupported_query
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router
from graph_magic.sandbox.odata.engine import Engine
from graph_magic.sandbox.routes._common import TenantRoutes, directory_object, require
from graph_magic.sandbox.tenant.store import Tenant

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_URL = re.compile(
    rf"/(?:directoryObjects|users|groups|devices|servicePrincipals)/({_GUID})$", re.IGNORECASE
)
_ALLOWED = {
    "members": frozenset({"users", "groups", "devices", "servicePrincipals"}),
    "owners": frozenset({"users", "servicePrincipals"}),
}
_EXISTS = {"members": ge.MEMBER_EXISTS, "owners": ge.OWNER_EXISTS}
MAX_LINKS = 20
BIND_KEYS = tuple(f"{rel}@odata.bind" for rel in _ALLOWED)


@dataclass
class Links:
    """The validated links of one write: object ids per relationship, in the order sent."""

    ids: dict[str, list[str]] = field(default_factory=dict)


def take_links(tenant: Tenant, engine: Engine, body: dict[str, Any]) -> Links:
    """Remove the ``@odata.bind`` keys from ``body`` and validate them (Graph's 400s, 404)."""
    links = Links()
    for rel in _ALLOWED:
        urls = body.pop(f"{rel}@odata.bind", None)
        if urls is None:
            continue
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise unsupported_query(ge.UNSUPPORTED_REFERENCE.format(prop=rel))
        links.ids[rel] = [_object_id(tenant, engine, rel, url) for url in urls]
    if sum(len(ids) for ids in links.ids.values()) > MAX_LINKS:
        raise bad_request(ge.TOO_MANY_LINKS)
    return links


def _object_id(tenant: Tenant, engine: Engine, rel: str, url: str) -> str:
    match = _URL.search(url.rstrip("/"))
    if match is None:
        raise unsupported_query(ge.UNSUPPORTED_REFERENCE.format(prop=rel))
    obj = tenant.find_object(match.group(1))
    if obj is None:
        raise not_found(match.group(1))
    if engine.spec_of(obj).name not in _ALLOWED[rel]:
        raise unsupported_query(ge.UNSUPPORTED_REFERENCE.format(prop=rel))
    return str(obj["id"])


def check_new(tenant: Tenant, group_id: str, links: Links) -> None:
    """Graph's 400 when a link already exists (checked before anything is written)."""
    for rel, ids in links.ids.items():
        current = _current(tenant, rel, group_id)
        if any(i in current for i in ids) or len(set(ids)) < len(ids):
            raise bad_request(_EXISTS[rel])


def apply_links(tenant: Tenant, group_id: str, links: Links) -> None:
    """Write validated links: members through the tenant (memberOf too), owners in order."""
    for member_id in links.ids.get("members", ()):
        tenant.add_member(group_id, member_id)
    owners = tenant.group_owners.setdefault(group_id, [])
    owners.extend(links.ids.get("owners", ()))


def _current(tenant: Tenant, rel: str, group_id: str) -> list[str]:
    source = tenant.members if rel == "members" else tenant.group_owners
    return source.get(group_id, [])


class OwnerRoutes(TenantRoutes):
    """POST /groups/{id}/owners/$ref and DELETE /groups/{id}/owners/{ownerId}/$ref."""

    def register(self, router: Router) -> None:
        """Add the owner reference routes."""
        router.add("POST", r"/groups/(?P<id>[^/]+)/owners/\$ref", self.add_owner)
        router.add(
            "DELETE", r"/groups/(?P<id>[^/]+)/owners/(?P<owner>[^/]+)/\$ref", self.remove_owner
        )

    def add_owner(self, req: GraphRequest, id: str) -> GraphResponse:
        """Add an owner from ``{"@odata.id": ".../users/{id}"}``: 204, or Graph's 400/404."""
        require(req, "groups.owners.write")
        group = directory_object(self.tenant, self.engine, "groups", id)
        body = req.json_body()
        reference = body.get("@odata.id") if isinstance(body, dict) else None
        if not isinstance(reference, str):
            raise unsupported_query(ge.UNSUPPORTED_REFERENCE.format(prop="owners"))
        links = Links({"owners": [_object_id(self.tenant, self.engine, "owners", reference)]})
        check_new(self.tenant, group["id"], links)
        apply_links(self.tenant, group["id"], links)
        self.tenant.touch(group["id"])
        return GraphResponse(204, b"", None)

    def remove_owner(self, req: GraphRequest, id: str, owner: str) -> GraphResponse:
        """Remove an owner: 204; 404 when the object is not an owner of the group."""
        require(req, "groups.owners.write")
        group = directory_object(self.tenant, self.engine, "groups", id)
        owners = self.tenant.group_owners.get(group["id"], [])
        if owner not in owners:
            raise not_found(owner)
        owners.remove(owner)
        self.tenant.touch(group["id"])
        return GraphResponse(204, b"", None)
