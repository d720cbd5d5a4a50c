"""Graph's membership reads beyond direct members: group owners, ``transitiveMembers``,
``transitiveMemberOf``, and the four membership actions (``getMemberGroups``,
``getMemberObjects``, ``checkMemberGroups``, ``checkMemberObjects``) on users, groups, /me and
/directoryObjects.

Transitive means through nested groups, as Graph computes it: a user in group A, which is a
member of group B, is a transitive member of B. The actions answer a ``value`` list of ids
(``Collection(Edm.String)``), never objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request, not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.routes._common import (
    ID,
    TenantRoutes,
    cast_count,
    cast_list,
    directory_object,
    find_user,
    json_object,
    key_of,
    require,
    require_user_read,
)
from graph_magic.sandbox.routes.me import me_id

_CAST = r"/microsoft\.graph\.(?P<cast>user|group)"
_CAST_GROUP = r"/microsoft\.graph\.(?P<cast>group)"
_ACTION = r"(?P<action>getMemberGroups|getMemberObjects|checkMemberGroups|checkMemberObjects)"
_OWNERS = ("users", "groups", "servicePrincipals", "devices", "directoryObjects")
_KIND_OF = {
    "groups": "groupTypes",
    "serviceprincipals": "servicePrincipalType",
    "devices": "deviceId",
}
"""A key only objects of that collection hold (the path's collection, lower-cased, must match)."""
_ACTION_PERMISSIONS = {
    "getmembergroups": "memberships.getMemberGroups",
    "checkmembergroups": "memberships.checkMemberGroups",
    "getmemberobjects": "memberships.objects",
    "checkmemberobjects": "memberships.objects",
}
"""The ``PERMISSIONS`` key of each membership action."""
MAX_CHECKED = 20
"""Ids one ``checkMemberGroups`` / ``checkMemberObjects`` call may ask about (Graph's limit)."""


class MembershipRoutes(TenantRoutes):
    """Owners, transitive relationships and the membership actions of one tenant."""

    def register(self, router: Router) -> None:
        """Add the routes (casts and ``$count`` before the plain relationship)."""
        add = router.add
        add("GET", rf"/groups/{ID}/owners", self.group_owners)
        add("GET", rf"/groups/{ID}/transitiveMembers/\$count", self.count_transitive_members)
        add("GET", rf"/groups/{ID}/transitiveMembers{_CAST}/\$count", self.count_transitive_cast)
        add("GET", rf"/groups/{ID}/transitiveMembers{_CAST}", self.transitive_members_cast)
        add("GET", rf"/groups/{ID}/transitiveMembers", self.transitive_members)
        add("GET", rf"/users/{ID}/transitiveMemberOf{_CAST_GROUP}", self.transitive_member_of_cast)
        add("GET", rf"/users/{ID}/transitiveMemberOf", self.transitive_member_of)
        add("GET", rf"/me/transitiveMemberOf{_CAST_GROUP}", self.my_transitive_member_of_cast)
        add("GET", r"/me/transitiveMemberOf", self.my_transitive_member_of)
        add("GET", rf"/groups/{ID}/transitiveMemberOf", self.group_transitive_member_of)
        for owner in _OWNERS:
            add("POST", rf"/{owner}/{ID}/{_ACTION}", self.member_action)
        add("POST", rf"/me/{_ACTION}", self.my_member_action)

    # ----- owners and transitive reads -------------------------------------------------------

    def group_owners(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/owners: users (or service principals) as typed directoryObjects."""
        require(req, "groups.owners")
        group = directory_object(self.tenant, self.engine, "groups", id)
        items = self.engine.related(group["id"], "owners")
        return self.engine.collection_response(
            self.engine.specs["users"], req, items, context="directoryObjects", typed=True
        )

    def transitive_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/transitiveMembers: every member through nested groups, the nested
        groups included, each once (Graph's throttling cost: 5)."""
        items = self._transitive_members(req, id)
        return self.engine.collection_response(
            self.engine.specs["users"], req, items, context="directoryObjects", typed=True
        )

    def count_transitive_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/transitiveMembers/$count."""
        items = self._transitive_members(req, id)
        return self.engine.count_response(self.engine.specs["users"], req, items)

    def transitive_members_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/transitiveMembers/microsoft.graph.user (or .group)."""
        return cast_list(self.engine, req, self._transitive_members(req, id), cast)

    def count_transitive_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/transitiveMembers/microsoft.graph.user/$count (or .group)."""
        return cast_count(self.engine, req, self._transitive_members(req, id), cast)

    def _transitive_members(self, req: GraphRequest, id: str) -> list[dict[str, Any]]:
        require(req, "groups.members.read")
        group = directory_object(self.tenant, self.engine, "groups", id)
        return self._objects(self.nested_members(group["id"]))

    def transitive_member_of(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/transitiveMemberOf: groups through nesting, then directory roles."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.transitiveMemberOf")
        items = self._objects(self.groups_of(user["id"]) + self.roles_of(user["id"]))
        return self.engine.collection_response(
            self.engine.specs["groups"], req, items, context="directoryObjects", typed=True
        )

    def transitive_member_of_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /users/{id}/transitiveMemberOf/microsoft.graph.group: the groups, as /groups."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.transitiveMemberOf")
        items = self._objects(self.groups_of(user["id"]))
        return cast_list(self.engine, req, items, cast)

    def my_transitive_member_of(self, req: GraphRequest) -> GraphResponse:
        """GET /me/transitiveMemberOf."""
        return self.transitive_member_of(req, me_id(req))

    def my_transitive_member_of_cast(self, req: GraphRequest, cast: str) -> GraphResponse:
        """GET /me/transitiveMemberOf/microsoft.graph.group."""
        return self.transitive_member_of_cast(req, me_id(req), cast)

    def group_transitive_member_of(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/transitiveMemberOf: the groups a group is nested in."""
        require(req, "groups.transitiveMemberOf")
        group = directory_object(self.tenant, self.engine, "groups", id)
        items = self._objects(self.groups_of(group["id"]))
        return self.engine.collection_response(
            self.engine.specs["groups"], req, items, context="directoryObjects", typed=True
        )

    # ----- the membership actions ------------------------------------------------------------

    def member_action(self, req: GraphRequest, id: str, action: str) -> GraphResponse:
        """POST /{users|groups|directoryObjects}/{id}/{action}: a ``value`` list of ids (Graph's
        403 comes before its 404: an unknown id tells nothing to a token that may not ask)."""
        found = self._member_of_path(req, id)
        what = _ACTION_PERMISSIONS[action.lower()]
        require_user_read(req, found["id"] if found else None, what)
        if found is None:
            raise not_found(key_of(id))
        object_id = found["id"]
        body = json_object(req)
        answer: Callable[[str, dict[str, Any]], list[str]] = getattr(self, "_" + action.lower())
        return json_response(
            {
                "@odata.context": f"{req.origin}/{req.version}/$metadata#Collection(Edm.String)",
                "value": answer(object_id, body),
            }
        )

    def _member_of_path(self, req: GraphRequest, id: str) -> dict[str, Any] | None:
        """The object the action's path names, if it is of the path's collection."""
        owner = req.path.strip("/").split("/", 1)[0].lower()
        if owner == "users":
            return self.tenant.find_user(key_of(id))
        found = self.tenant.find_object(key_of(id))
        marker = _KIND_OF.get(owner)
        return None if found is None or (marker and marker not in found) else found

    def my_member_action(self, req: GraphRequest, action: str) -> GraphResponse:
        """POST /me/{action}: the signed-in user's memberships."""
        return self.member_action(req, me_id(req), action)

    def _getmembergroups(self, object_id: str, body: dict[str, Any]) -> list[str]:
        """Every group the object is in, through nesting; security groups only when asked."""
        security_only = _security_enabled_only(body)
        groups = (self.tenant.find_object(g) for g in self.groups_of(object_id))
        return [g["id"] for g in groups if g and (g["securityEnabled"] or not security_only)]

    def _getmemberobjects(self, object_id: str, body: dict[str, Any]) -> list[str]:
        """The groups (as getMemberGroups) and then the directory roles the object holds."""
        return self._getmembergroups(object_id, body) + self.roles_of(object_id)

    def _checkmembergroups(self, object_id: str, body: dict[str, Any]) -> list[str]:
        """Which of ``groupIds`` the object is in, through nesting."""
        asked = _checked_ids(body, "groupIds")
        inside = set(self.groups_of(object_id))
        return [i for i in asked if i in inside]

    def _checkmemberobjects(self, object_id: str, body: dict[str, Any]) -> list[str]:
        """Which of ``ids`` (groups or directory roles) the object is in."""
        asked = _checked_ids(body, "ids")
        inside = set(self.groups_of(object_id)) | set(self.roles_of(object_id))
        return [i for i in asked if i in inside]

    # ----- the closure -----------------------------------------------------------------------

    def groups_of(self, object_id: str) -> list[str]:
        """The groups ``object_id`` is in, directly or through nested groups (each once, in
        breadth-first order)."""
        return _closure(object_id, lambda i: self.tenant.member_of.get(i, ()))

    def nested_members(self, group_id: str) -> list[str]:
        """The members of ``group_id``, directly or through nested groups (each once)."""
        return _closure(group_id, lambda i: self.tenant.members.get(i, ()))

    def roles_of(self, object_id: str) -> list[str]:
        """The directory roles ``object_id`` holds (directly: roles do not nest)."""
        return self.tenant.roles_held(object_id)

    def _objects(self, ids: list[str]) -> list[dict[str, Any]]:
        found = (self.tenant.find_object(i) for i in ids)
        return [o for o in found if o is not None]


def _closure(start: str, step: Callable[[str], Any]) -> list[str]:
    """Every id reachable from ``start`` by ``step`` (``start`` itself left out), once each."""
    seen: dict[str, None] = {}
    frontier = [start]
    while frontier:
        following = []
        for current in frontier:
            for nxt in step(current):
                if nxt != start and nxt not in seen:
                    seen[nxt] = None
                    following.append(nxt)
        frontier = following
    return list(seen)


def _security_enabled_only(body: dict[str, Any]) -> bool:
    """The required ``securityEnabledOnly`` parameter, or Graph's 400."""
    value = body.get("securityEnabledOnly")
    if not isinstance(value, bool):
        raise bad_request(ge.PROPERTY_REQUIRED.format(prop="securityEnabledOnly"))
    return value


def _checked_ids(body: dict[str, Any], name: str) -> list[str]:
    """The ids a check action asks about: a list of at most 20 strings, or Graph's 400."""
    ids = body.get(name)
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request(ge.PROPERTY_REQUIRED.format(prop=name))
    if len(ids) > MAX_CHECKED:
        raise bad_request(ge.TOO_MANY_GROUP_IDS.format(prop=name))
    return ids
