"""Graph's read routes over the tenant: users, groups, devices, apps, SKUs, logs, /me, delta.

Each handler checks the token's permissions the way Graph does (application ``roles`` or
delegated ``scp``), then hands the collection or object to the query engine. Paths below the
version root are matched case-insensitively; ``{id}`` accepts an object id, a UPN and the
``('key')`` form Graph allows.
"""

from __future__ import annotations

from typing import Any

from graph_magic.sandbox import graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request, forbidden, not_found
from graph_magic.sandbox.query import (
    Engine,
    EntitySpec,
    context_url,
    project,
    require_cast_advanced,
)
from graph_magic.sandbox.routing import GraphRequest, GraphResponse, Router, json_response

_DIR_READ = {"Directory.Read.All", "Directory.ReadWrite.All"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "users": frozenset({"User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All"} | _DIR_READ),
    "users.write": frozenset({"User.ReadWrite.All", "Directory.ReadWrite.All"}),
    "groups": frozenset(
        {"Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All"} | _DIR_READ
    ),
    "devices": frozenset({"Device.Read.All"} | _DIR_READ),
    "applications": frozenset({"Application.Read.All", "Application.ReadWrite.All"} | _DIR_READ),
    "subscribedSkus": frozenset(
        {"Organization.Read.All", "LicenseAssignment.Read.All"} | _DIR_READ
    ),
    "auditLogs": frozenset({"AuditLog.Read.All"}),
    "reports": frozenset({"Reports.Read.All"}),
    "invitations": frozenset({"User.Invite.All"}),
    "groups.create": frozenset({"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"}),
    "groups.write": frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"}),
    "groups.delete": frozenset({"Group.ReadWrite.All"}),
    "groups.members": frozenset(
        {"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
    ),
    "devices.write": frozenset({"Device.ReadWrite.All", "Directory.ReadWrite.All"}),
    "devices.delete": frozenset({"Device.ReadWrite.All"}),
}
"""Any one of these grants the route (Graph's "least privileged ... higher privileged" lists)."""

_ID = r"(?P<id>[^/]+)"
_CASTS = {"group": "groups", "user": "users"}
"""OData cast segments (``microsoft.graph.<type>``) and the collection each type lists as."""


def require(req: GraphRequest, permission: str, *, also: frozenset[str] = frozenset()) -> None:
    """Graph's 403 unless the token holds one of the permissions the route accepts."""
    principal = req.principal
    held = principal.roles if principal.kind == "app" else principal.scopes
    if not held & (PERMISSIONS[permission] | also):
        raise forbidden()


def require_user_read(req: GraphRequest, user_id: str | None = None) -> None:
    """Graph's 403 unless the token may read users; a delegated token may read its own user
    with just User.Read."""
    own = req.principal.kind == "delegated" and user_id == req.principal.user_id
    require(req, "users", also=frozenset({"User.Read"}) if own else frozenset())
    asked = (req.params.get("$select", "") + " " + req.params.get("$filter", "")).lower()
    if "signinactivity" in asked:  # sign-in data comes from the audit logs, as on Graph
        require(req, "auditLogs")


def key_of(raw: str) -> str:
    """The key inside ``('...')`` (Graph's form for UPNs starting with '$'), else the segment."""
    if raw.startswith("('") and raw.endswith("')"):
        return raw[2:-2].replace("''", "'")
    return raw


def directory_object(
    tenant: Any, engine: Engine, kind: str, raw_id: str, alt: str | None = None
) -> dict[str, Any]:
    """The object of collection ``kind`` named by a path segment (or ``(alt='...')``), or
    Graph's 404."""
    key = key_of(raw_id)
    found = tenant.find_object(key)
    if found is not None and engine.spec_of(found).name == kind:
        return found
    prefix = f"({alt}='"
    if alt and raw_id.startswith(prefix) and raw_id.endswith("')"):
        key = raw_id[len(prefix) : -2]
        collection = {
            "devices": tenant.devices,
            "applications": tenant.applications,
            "servicePrincipals": tenant.service_principals,
        }[kind]
        for obj in collection:
            if obj.get(alt) == key:
                return obj
    raise not_found(key)


class Reads:
    """The read handlers of one tenant, registered on a router."""

    def __init__(self, tenant: Any, engine: Engine) -> None:
        self.tenant = tenant
        self.engine = engine

    def register(self, router: Router) -> None:
        """Add every read route (order matters: literal segments before ``{id}``)."""
        add = router.add
        cast_group = r"/microsoft\.graph\.(?P<cast>group)"
        cast_member = r"/microsoft\.graph\.(?P<cast>user|group)"
        add("GET", r"/me", self.me)
        add("GET", rf"/me/memberOf{cast_group}/\$count", self.count_me_member_of_cast)
        add("GET", rf"/me/memberOf{cast_group}", self.me_member_of_cast)
        add("GET", r"/me/(?P<rel>manager|memberOf)", self.me_relation)
        add("GET", r"/users", self.list_users)
        add("GET", r"/users/\$count", self.count_users)
        add("GET", rf"/users/{_ID}", self.get_user)
        add("GET", r"/users(?P<id>\('[^/]+'\))", self.get_user)
        add("GET", rf"/users/{_ID}/manager", self.user_manager)
        add("GET", rf"/users/{_ID}/memberOf/\$count", self.count_member_of)
        add("GET", rf"/users/{_ID}/memberOf", self.user_member_of)
        add("GET", rf"/users/{_ID}/memberOf{cast_group}/\$count", self.count_member_of_cast)
        add("GET", rf"/users/{_ID}/memberOf{cast_group}", self.user_member_of_cast)
        add("GET", r"/groups", self.list_groups)
        add("GET", r"/groups/\$count", self.count_groups)
        add("GET", rf"/groups/{_ID}/members/\$count", self.count_members)
        add("GET", rf"/groups/{_ID}/members", self.group_members)
        add("GET", rf"/groups/{_ID}/members{cast_member}/\$count", self.count_members_cast)
        add("GET", rf"/groups/{_ID}/members{cast_member}", self.group_members_cast)
        add("GET", rf"/groups/{_ID}", self.get_group)
        add("GET", r"/devices", self.list_devices)
        add("GET", rf"/devices/{_ID}/registeredOwners", self.device_owners)
        add("GET", rf"/devices/{_ID}/owners", self.device_wrong_owners)
        add("GET", rf"/devices/{_ID}", self.get_device)
        add("GET", r"/applications", self.list_applications)
        add("GET", rf"/applications/{_ID}", self.get_application)
        add("GET", r"/servicePrincipals", self.list_service_principals)
        add("GET", rf"/servicePrincipals/{_ID}", self.get_service_principal)
        add("GET", r"/subscribedSkus", self.list_skus)
        add("GET", r"/auditLogs/signIns", self.list_sign_ins)
        add("GET", rf"/auditLogs/signIns/{_ID}", self.get_sign_in)
        add("GET", r"/auditLogs/directoryAudits", self.list_audits)
        add("GET", rf"/auditLogs/directoryAudits/{_ID}", self.get_audit)

    # ----- users ---------------------------------------------------------------------------

    def user(self, raw_id: str) -> dict[str, Any]:
        """The user named by a path segment, or Graph's 404."""
        key = key_of(raw_id)
        found = self.tenant.find_user(key)
        if found is None:
            raise not_found(key)
        return found

    def me(self, req: GraphRequest) -> GraphResponse:
        """/me: the signed-in user; app-only tokens get Graph's 400."""
        return self.get_user(req, self._me_id(req))

    def me_relation(self, req: GraphRequest, rel: str) -> GraphResponse:
        """/me/manager and /me/memberOf."""
        user_id = self._me_id(req)
        if rel.lower() == "manager":
            return self.user_manager(req, user_id)
        return self.user_member_of(req, user_id)

    def _me_id(self, req: GraphRequest) -> str:
        principal = req.principal
        if principal.kind != "delegated" or not principal.user_id:
            raise bad_request(ge.ME_NEEDS_DELEGATED, code="BadRequest")
        return principal.user_id

    def list_users(self, req: GraphRequest) -> GraphResponse:
        """GET /users."""
        require_user_read(req)
        return self.engine.collection_response(
            self.engine.specs["users"], req, self.tenant.users, units=2
        )

    def count_users(self, req: GraphRequest) -> GraphResponse:
        """GET /users/$count (text/plain; needs ConsistencyLevel)."""
        require_user_read(req)
        return self.engine.count_response(self.engine.specs["users"], req, self.tenant.users)

    def get_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id | userPrincipalName}."""
        user = self.user(id)
        require_user_read(req, user["id"])
        return self.engine.entity_response(self.engine.specs["users"], req, user)

    def user_manager(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/manager: a directoryObject, or Graph's 404 naming 'manager'."""
        user = self.user(id)
        require_user_read(req, user["id"])
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
        user = self.user(id)
        require_user_read(req, user["id"])
        items = self.engine.related(user["id"], "memberOf")
        spec = self.engine.specs["groups"]
        return self.engine.collection_response(
            spec, req, items, context="directoryObjects", typed=True, units=2
        )

    def count_member_of(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /users/{id}/memberOf/$count."""
        user = self.user(id)
        require_user_read(req, user["id"])
        items = self.engine.related(user["id"], "memberOf")
        return self.engine.count_response(self.engine.specs["groups"], req, items)

    # ----- OData casts: one type out of a mixed directoryObject relationship ---------------------

    def me_member_of_cast(self, req: GraphRequest, cast: str) -> GraphResponse:
        """GET /me/memberOf/microsoft.graph.group."""
        return self.user_member_of_cast(req, self._me_id(req), cast)

    def count_me_member_of_cast(self, req: GraphRequest, cast: str) -> GraphResponse:
        """GET /me/memberOf/microsoft.graph.group/$count."""
        return self.count_member_of_cast(req, self._me_id(req), cast)

    def user_member_of_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /users/{id}/memberOf/microsoft.graph.group: the groups, shaped as /groups."""
        user = self.user(id)
        require_user_read(req, user["id"])
        return self._cast_list(req, self.engine.related(user["id"], "memberOf"), cast, units=2)

    def count_member_of_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /users/{id}/memberOf/microsoft.graph.group/$count."""
        user = self.user(id)
        require_user_read(req, user["id"])
        return self._cast_count(req, self.engine.related(user["id"], "memberOf"), cast)

    def group_members_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/members/microsoft.graph.user (or .group): one member type."""
        require(req, "groups")
        group = self._object("groups", id)
        return self._cast_list(req, self.engine.related(group["id"], "members"), cast, units=3)

    def count_members_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/members/microsoft.graph.user/$count (or .group)."""
        require(req, "groups")
        group = self._object("groups", id)
        return self._cast_count(req, self.engine.related(group["id"], "members"), cast)

    def _cast_items(
        self, items: list[dict[str, Any]], cast: str
    ) -> tuple[EntitySpec, list[dict[str, Any]]]:
        """The cast type's spec and the items of that type (other types drop out)."""
        spec = self.engine.specs[_CASTS[cast.lower()]]
        return spec, [obj for obj in items if self.engine.spec_of(obj) is spec]

    def _cast_list(
        self, req: GraphRequest, items: list[dict[str, Any]], cast: str, *, units: int
    ) -> GraphResponse:
        """A cast page: Graph names the cast type's collection in @odata.context and, every
        item being of that type, leaves out @odata.type, as /groups or /users list them."""
        require_cast_advanced(req)
        spec, items = self._cast_items(items, cast)
        return self.engine.collection_response(spec, req, items, units=units)

    def _cast_count(
        self, req: GraphRequest, items: list[dict[str, Any]], cast: str
    ) -> GraphResponse:
        spec, items = self._cast_items(items, cast)
        return self.engine.count_response(spec, req, items)

    # ----- groups, devices, apps -------------------------------------------------------------

    def _object(self, kind: str, raw_id: str, alt: str | None = None) -> dict[str, Any]:
        return directory_object(self.tenant, self.engine, kind, raw_id, alt)

    def list_groups(self, req: GraphRequest) -> GraphResponse:
        """GET /groups."""
        require(req, "groups")
        return self.engine.collection_response(self.engine.specs["groups"], req, self.tenant.groups)

    def count_groups(self, req: GraphRequest) -> GraphResponse:
        """GET /groups/$count."""
        require(req, "groups")
        return self.engine.count_response(self.engine.specs["groups"], req, self.tenant.groups)

    def get_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}."""
        require(req, "groups")
        group = self._object("groups", id)
        return self.engine.entity_response(self.engine.specs["groups"], req, group)

    def group_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/members: users and groups as typed directoryObjects."""
        require(req, "groups")
        group = self._object("groups", id)
        items = self.engine.related(group["id"], "members")
        return self.engine.collection_response(
            self.engine.specs["users"], req, items, context="directoryObjects", typed=True, units=3
        )

    def count_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/members/$count."""
        require(req, "groups")
        group = self._object("groups", id)
        items = self.engine.related(group["id"], "members")
        return self.engine.count_response(self.engine.specs["users"], req, items)

    def list_devices(self, req: GraphRequest) -> GraphResponse:
        """GET /devices."""
        require(req, "devices")
        return self.engine.collection_response(
            self.engine.specs["devices"], req, self.tenant.devices
        )

    def get_device(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /devices/{id} (also ``(deviceId='...')``)."""
        require(req, "devices")
        device = self._object("devices", id, "deviceId")
        return self.engine.entity_response(self.engine.specs["devices"], req, device)

    def device_owners(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /devices/{id}/registeredOwners: typed users with @odata.id, as Graph lists them."""
        require(req, "devices")
        device = self._object("devices", id, "deviceId")
        owners = self.engine.related(device["id"], "registeredOwners")
        spec = self.engine.specs["users"]
        result = self.engine.run_collection(spec, req, owners)
        head: dict[str, Any] = {
            "@odata.context": context_url(req, "directoryObjects", result.select)
        }
        if result.next_link:
            head["@odata.nextLink"] = result.next_link
        base = f"https://graph.microsoft.com/v2/{self.tenant.tenant_id}/directoryObjects"
        value = [
            {
                "@odata.type": spec.odata_type,
                "@odata.id": f"{base}/{owner['id']}/Microsoft.DirectoryServices.User",
                **project(spec, owner, result.select),
            }
            for owner in result.page
        ]
        return json_response({**head, "value": value})

    def device_wrong_owners(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /devices/{id}/owners: devices have no 'owners' (it is registeredOwners)."""
        raise bad_request(ge.SEGMENT_NOT_FOUND.format(segment="owners"), code="BadRequest")

    def list_applications(self, req: GraphRequest) -> GraphResponse:
        """GET /applications."""
        require(req, "applications")
        return self.engine.collection_response(
            self.engine.specs["applications"], req, self.tenant.applications, units=2
        )

    def get_application(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /applications/{id} (also ``(appId='...')``)."""
        require(req, "applications")
        app = self._object("applications", id, "appId")
        return self.engine.entity_response(self.engine.specs["applications"], req, app)

    def list_service_principals(self, req: GraphRequest) -> GraphResponse:
        """GET /servicePrincipals."""
        require(req, "applications")
        return self.engine.collection_response(
            self.engine.specs["servicePrincipals"], req, self.tenant.service_principals
        )

    def get_service_principal(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /servicePrincipals/{id} (also ``(appId='...')``)."""
        require(req, "applications")
        sp = self._object("servicePrincipals", id, "appId")
        return self.engine.entity_response(self.engine.specs["servicePrincipals"], req, sp)

    def list_skus(self, req: GraphRequest) -> GraphResponse:
        """GET /subscribedSkus (only $select is allowed)."""
        require(req, "subscribedSkus")
        return self.engine.collection_response(
            self.engine.specs["subscribedSkus"], req, self.tenant.subscribed_skus, units=3
        )

    # ----- audit logs ------------------------------------------------------------------------

    def list_sign_ins(self, req: GraphRequest) -> GraphResponse:
        """GET /auditLogs/signIns (newest first; page 1000)."""
        require(req, "auditLogs")
        spec = self.engine.specs["auditLogs/signIns"]
        return self.engine.collection_response(spec, req, self.tenant.sign_ins)

    def get_sign_in(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /auditLogs/signIns/{id}."""
        require(req, "auditLogs")
        found = next((s for s in self.tenant.sign_ins if s["id"] == id), None)
        if found is None:
            raise not_found(id)
        spec = self.engine.specs["auditLogs/signIns"]
        return self.engine.entity_response(spec, req, found)

    def list_audits(self, req: GraphRequest) -> GraphResponse:
        """GET /auditLogs/directoryAudits."""
        require(req, "auditLogs")
        spec = self.engine.specs["auditLogs/directoryAudits"]
        return self.engine.collection_response(spec, req, self.tenant.directory_audits)

    def get_audit(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /auditLogs/directoryAudits/{id}."""
        require(req, "auditLogs")
        found = next((s for s in self.tenant.directory_audits if s["id"] == id), None)
        if found is None:
            raise not_found(id)
        spec = self.engine.specs["auditLogs/directoryAudits"]
        return self.engine.entity_response(spec, req, found)
