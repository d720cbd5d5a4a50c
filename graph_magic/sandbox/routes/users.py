"""Graph's /users routes: list, count, get, manager and memberOf reads, and the user writes
(create, update, delete, assign licenses).

Reads check the token's permissions the way Graph does (application ``roles`` or delegated
``scp``, a user's own record with User.Read) and hand the collection or object to the engine.
Writes validate in Graph's order and texts: required properties first, then values, then
conflicts, each a 400 with Graph's message (and ``details`` where Graph sends them); success is
201 with the object or 204, recorded for delta, with the cached projections dropped.
"""

from __future__ import annotations

import re
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import GraphError, bad_request, not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import (
    ID,
    WritingRoutes,
    cast_count,
    cast_list,
    find_user,
    invalid_value,
    json_object,
    require,
    require_user_read,
)
from graph_magic.sandbox.tenant.names import SKUS
from graph_magic.sandbox.tenant.schema import USER_SPEC

_REQUIRED = (
    "accountEnabled",
    "displayName",
    "mailNickname",
    "passwordProfile",
    "userPrincipalName",
)
_UPN_LOCAL = re.compile(r"^[A-Za-z0-9'.\-_!#^~]+$")
_READ_ONLY = frozenset({"id", "createdDateTime", "deletedDateTime", "assignedLicenses"})
_SKU_IDS = frozenset(s[0] for s in SKUS)
_CAST_GROUP = r"/microsoft\.graph\.(?P<cast>group)"


class UserRoutes(WritingRoutes):
    """The /users handlers of one tenant; created users take ids from ``ids``."""

    def register(self, router: Router) -> None:
        """Add the user routes (order matters: literal segments before ``{id}``)."""
        add = router.add
        add("GET", r"/users", self.list_users)
        add("GET", r"/users/\$count", self.count_users)
        add("GET", rf"/users/{ID}", self.get_user)
        add("GET", r"/users(?P<id>\('[^/]+'\))", self.get_user)
        add("GET", rf"/users/{ID}/manager", self.user_manager)
        add("GET", rf"/users/{ID}/memberOf/\$count", self.count_member_of)
        add("GET", rf"/users/{ID}/memberOf", self.user_member_of)
        add("GET", rf"/users/{ID}/memberOf{_CAST_GROUP}/\$count", self.count_member_of_cast)
        add("GET", rf"/users/{ID}/memberOf{_CAST_GROUP}", self.user_member_of_cast)
        add("POST", r"/users", self.create_user)
        add("PATCH", r"/users/(?P<id>[^/]+)", self.update_user)
        add("DELETE", r"/users/(?P<id>[^/]+)", self.delete_user)
        add("POST", r"/users/(?P<id>[^/]+)/assignLicense", self.assign_license)

    # ----- reads -----------------------------------------------------------------------------

    def list_users(self, req: GraphRequest) -> GraphResponse:
        """GET /users."""
        require_user_read(req)
        return self.engine.collection_response(self.engine.specs["users"], req, self.tenant.users)

    def count_users(self, req: GraphRequest) -> GraphResponse:
        """GET /users/$count (text/plain; needs ConsistencyLevel)."""
        require_user_read(req)
        return self.engine.count_response(self.engine.specs["users"], req, self.tenant.users)

    def get_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id | userPrincipalName}."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"])
        return self.engine.entity_response(self.engine.specs["users"], req, user)

    def user_manager(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/manager: a directoryObject, or Graph's 404 naming 'manager'."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.related")
        related = self.engine.related(user["id"], "manager")
        if not related:
            raise not_found("manager")
        manager = related[0]
        spec = self.engine.spec_of(manager)
        return self.engine.entity_response(
            spec, req, manager, context="directoryObjects", typed=True
        )

    def user_member_of(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/memberOf: groups as typed directoryObjects."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.memberOf")
        items = self.engine.related(user["id"], "memberOf")
        spec = self.engine.specs["groups"]
        return self.engine.collection_response(
            spec, req, items, context="directoryObjects", typed=True
        )

    def count_member_of(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/memberOf/$count."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.memberOf")
        items = self.engine.related(user["id"], "memberOf")
        return self.engine.count_response(self.engine.specs["groups"], req, items)

    def user_member_of_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /users/{id}/memberOf/microsoft.graph.group: the groups, shaped as /groups."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.memberOf")
        items = self.engine.related(user["id"], "memberOf")
        return cast_list(self.engine, req, items, cast)

    def count_member_of_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /users/{id}/memberOf/microsoft.graph.group/$count."""
        user = find_user(self.tenant, id)
        require_user_read(req, user["id"], "users.memberOf")
        return cast_count(self.engine, req, self.engine.related(user["id"], "memberOf"), cast)

    # ----- writes ----------------------------------------------------------------------------

    def _changed(self, user_id: str) -> None:
        self.tenant.touch(user_id)
        self.engine.projector.forget(user_id)

    def _domains(self) -> tuple[str, str]:
        """The domains a new user's principal name may be on: the tenant's own two."""
        identity = self.tenant.options.identity
        return identity.domain, identity.initial_domain

    def create_user(self, req: GraphRequest) -> GraphResponse:
        """POST /users: 201 with the new user, or Graph's validation 400s."""
        require(req, "users.write")
        body = json_object(req)
        for prop in _REQUIRED:
            value = body.get(prop)
            if value is None or value == "" or value == {}:
                raise bad_request(ge.PROPERTY_REQUIRED.format(prop=prop))
        upn = body["userPrincipalName"]
        local, at, domain = str(upn).rpartition("@")
        if (
            not isinstance(upn, str)
            or not at
            or not _UPN_LOCAL.match(local)
            or domain.lower() not in self._domains()
        ):
            raise invalid_value("userPrincipalName", "User")
        nick = body["mailNickname"]
        if not isinstance(nick, str) or not _UPN_LOCAL.match(nick) or "@" in nick:
            raise invalid_value("mailNickname", "User")
        if self.tenant.find_user(upn) is not None:
            raise _duplicate_upn()
        user: dict[str, Any] = {p: None for p in USER_SPEC.properties}
        user.update(
            {
                "businessPhones": [],
                "assignedLicenses": [],
                "assignedPlans": [],
                "identities": [],
                "imAddresses": [],
                "otherMails": [],
                "proxyAddresses": [],
                "userType": "Member",
            }
        )
        for key, value in body.items():
            if key in USER_SPEC.properties and key not in _READ_ONLY:
                user[key] = value
        user["id"] = self.ids.new_id()
        user["createdDateTime"] = self.clock_iso() + "Z"
        user["mail"] = body.get("mail")
        self.tenant.add_user(user)
        head = {"@odata.context": context_url(req, "users", entity=True)}
        return json_response({**head, **project(USER_SPEC, user, ())}, 201)

    def update_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /users/{id}: 204; omitted properties stay as they were."""
        require(req, "users.write")
        user = find_user(self.tenant, id)
        body = json_object(req)
        for key in body:
            if key not in USER_SPEC.properties and key != "passwordProfile":
                raise bad_request(ge.UNDECLARED_PROPERTY.format(prop=key))
        if "displayName" in body and not body["displayName"]:
            raise bad_request(ge.INVALID_VALUE.format(prop="displayName", resource="User"))
        new_upn = body.get("userPrincipalName")
        if new_upn and new_upn.lower() != user["userPrincipalName"].lower():
            if self.tenant.find_user(new_upn) is not None:
                raise _duplicate_upn()
            self.tenant.rename_upn(user, new_upn)
        for key, value in body.items():
            if key in USER_SPEC.properties and key not in _READ_ONLY | {"userPrincipalName"}:
                user[key] = value
        self._changed(user["id"])
        return GraphResponse(204, b"", None)

    def delete_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """DELETE /users/{id}: 204; delta then reports it @removed (soft delete)."""
        require(req, "users.delete")
        user = find_user(self.tenant, id)
        self.tenant.remove_user(user)
        self.engine.projector.forget(user["id"])
        return GraphResponse(204, b"", None)

    def assign_license(self, req: GraphRequest, id: str) -> GraphResponse:
        """POST /users/{id}/assignLicense: 200 with the user; needs a usageLocation."""
        require(req, "users.licenses")
        user = find_user(self.tenant, id)
        body = json_object(req)
        add = body.get("addLicenses")
        remove = body.get("removeLicenses")
        if not isinstance(add, list) or not isinstance(remove, list):
            raise bad_request("One or more properties contains invalid values.")
        if add and not user.get("usageLocation"):
            raise bad_request(ge.INVALID_USAGE_LOCATION)
        licenses = [lic for lic in user["assignedLicenses"] if lic["skuId"] not in remove]
        for lic in add:
            sku = str(lic.get("skuId", "")).lower() if isinstance(lic, dict) else ""
            if sku not in _SKU_IDS:
                raise bad_request(
                    f"Subscription with SKU {sku} does not exist for the tenant.",
                )
            licenses = [x for x in licenses if x["skuId"] != sku]
            licenses.append({"disabledPlans": list(lic.get("disabledPlans") or []), "skuId": sku})
        user["assignedLicenses"] = licenses
        self._changed(user["id"])
        head = {"@odata.context": context_url(req, "users", entity=True)}
        return json_response({**head, **project(USER_SPEC, user, ())})


def _duplicate_upn() -> GraphError:
    """Graph's 400 for a UPN another object already has (an ObjectConflict in details)."""
    return GraphError(
        400,
        "Request_BadRequest",
        ge.DUPLICATE_UPN,
        details=[{"target": "userPrincipalName", "code": "ObjectConflict"}],
    )
