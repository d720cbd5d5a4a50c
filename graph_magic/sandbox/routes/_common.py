"""What every route module shares: Graph's permission check, path keys, object lookup, write
bodies and their 400s, OData casts, and the id source of created objects.

Each rule here is Graph's own (which permissions grant a route, how ``('key')`` addresses an
object, what a write body may hold), written once so every entity's routes answer alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import GraphError, bad_request, forbidden, not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse
from graph_magic.sandbox.odata.engine import Engine
from graph_magic.sandbox.odata.options import require_cast_advanced
from graph_magic.sandbox.tenant.schema import EntitySpec
from graph_magic.sandbox.tenant.store import Tenant

ID = r"(?P<id>[^/]+)"
"""A path segment naming an object (id, UPN or ``('key')``), passed to handlers as ``id``."""

_DIR_READ = {"Directory.Read.All", "Directory.ReadWrite.All"}
_GROUPS_READ = {"Group.Read.All", "Group.ReadWrite.All", "Group.ReadBasic.All"}
_APPS_READ = {
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    *_DIR_READ,
}
_APPS_WRITE = {"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
_INTUNE_ORG = {
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
}
"""Intune's permissions, which read the organization too (the map ranks them least)."""
_MEMBER_GROUPS = {
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Device.Read.All",
    "Device.ReadWrite.All",
    "User.Read.All",
    "GroupMember.Read.All",
    "GroupMember.ReadBasic.All",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    "users": frozenset({"User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All"} | _DIR_READ),
    "users.related": frozenset({"User.Read.All", "User.ReadWrite.All"} | _DIR_READ),
    "users.memberOf": frozenset({"Group.ReadBasic.All", "GroupMember.ReadBasic.All"} | _DIR_READ),
    "users.transitiveMemberOf": frozenset(
        {"User.Read.All", "Group.Read.All", "Group.ReadBasic.All", "GroupMember.Read.All"}
        | {"GroupMember.ReadBasic.All"}
        | _DIR_READ
    ),
    "users.write": frozenset({"User.ReadWrite.All", "Directory.ReadWrite.All"}),
    "users.delete": frozenset({"User.DeleteRestore.All", "User.ReadWrite.All"}),
    "users.licenses": frozenset(
        {"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
    ),
    "groups": frozenset(
        {"Group-NestingSupport.ReadWrite.All", "GroupMember.Read.All"} | _GROUPS_READ | _DIR_READ
    ),
    "groups.members.read": frozenset(
        {"GroupMember.ReadBasic.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All"}
        | _GROUPS_READ
        | {"Directory.Read.All"}
    ),
    "groups.owners": frozenset(
        {"GroupMember.Read.All", "GroupMember.ReadWrite.All", "Group.Read.All"}
        | {"Group.ReadWrite.All", "Directory.Read.All"}
    ),
    # Application tokens: the map lists neither Group.Read.All nor GroupMember.Read.All.
    "groups.transitiveMemberOf": frozenset(
        {"GroupMember.ReadBasic.All", "Group.ReadBasic.All"} | _DIR_READ
    ),
    "devices": frozenset({"Device.Read.All", "Device.ReadWrite.All"} | _DIR_READ),
    "applications": frozenset(_APPS_READ - {"Directory.ReadWrite.All"}),
    "applications.item": frozenset(_APPS_READ),
    "applications.delta": frozenset(_APPS_READ),
    "subscribedSkus": frozenset(
        {"Organization.Read.All", "LicenseAssignment.Read.All"} | _DIR_READ
    ),
    "auditLogs": frozenset({"AuditLog.Read.All"}),
    # Graph's page asks Directory.Read.All beside AuditLog.Read.All, never instead of it.
    "auditLogs.provisioning": frozenset({"AuditLog.Read.All", "ProvisioningLog.Read.All"}),
    "reports": frozenset({"Reports.Read.All"}),
    "invitations": frozenset({"User.Invite.All"}),
    "groups.create": frozenset({"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"}),
    "groups.write": frozenset(
        {"Group-NestingSupport.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
    ),
    "groups.delete": frozenset({"Group.ReadWrite.All"}),
    "groups.members": frozenset(
        {"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
    ),
    "groups.owners.write": frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"}),
    "devices.write": frozenset({"Device.ReadWrite.All", "Directory.ReadWrite.All"}),
    "devices.delete": frozenset({"Device.ReadWrite.All"}),
    "roleManagement": frozenset(
        {"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"}
        | {"RoleManagement.Read.All"}
        | _DIR_READ
    ),
    # The map lists RoleManagement.Read.All for the definitions only.
    "roleAssignments": frozenset(
        {"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"} | _DIR_READ
    ),
    "policies": frozenset({"Policy.Read.All"}),
    "riskyUsers": frozenset({"IdentityRiskyUser.Read.All"}),
    "domains": frozenset({"Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"}),
    "organization": frozenset(
        {"Organization.Read.All", "Organization.ReadWrite.All", "User.Read.All"}
        | _DIR_READ
        | _INTUNE_ORG
    ),
    "directoryRoles": frozenset(
        {"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"} | _DIR_READ
    ),
    # Graph's docs: Directory.Read.All only, no higher-privileged one.
    "directoryObjects": frozenset({"Directory.Read.All"}),
    # The membership actions: the map adds User.ReadWrite.All to all but getMemberGroups, and on
    # the signed-in user User.Read to the two *Objects ones (_OWN_USER).
    "memberships.getMemberGroups": frozenset(_MEMBER_GROUPS | _GROUPS_READ | _DIR_READ),
    "memberships.checkMemberGroups": frozenset(
        _MEMBER_GROUPS | _GROUPS_READ | _DIR_READ | {"User.ReadWrite.All"}
    ),
    "memberships.objects": frozenset(
        _MEMBER_GROUPS | _GROUPS_READ | _DIR_READ | {"User.ReadWrite.All"}
    ),
    # OwnedBy writes the apps the caller owns; the sandbox does not model app ownership.
    "applications.create": frozenset(_APPS_WRITE | {"AppRegistration.Create"}),
    "applications.write": frozenset(_APPS_WRITE),
    "applications.credentials": frozenset(_APPS_WRITE | {"Directory.ReadWrite.All"}),
    "servicePrincipals.write": frozenset(_APPS_WRITE | {"Directory.ReadWrite.All"}),
}
"""Any one of these grants the route: Microsoft's permissions map (knowledge) lists each as one
that allows it, and its least-privileged ones are among them. tests/sandbox/routes/
test_permission_map.py walks every route to keep it so."""

_OWN_USER: dict[str, frozenset[str]] = {
    "users": frozenset({"User.Read"}),
    "users.memberOf": frozenset({"User.Read"}),
    "users.transitiveMemberOf": frozenset({"User.Read"}),
    "memberships.objects": frozenset({"User.Read"}),
}
"""What a delegated token may use on its own user beyond the route's set (not its manager;
not getMemberGroups or checkMemberGroups, for which the map lists no User.Read)."""

_DELEGATED_ALSO: dict[str, frozenset[str]] = {
    "groups.transitiveMemberOf": frozenset({"Group.Read.All", "GroupMember.Read.All"}),
}
"""What a delegated token may use beyond the route's set, where the map lists more delegated
permissions than application ones."""

_CASTS = {"group": "groups", "user": "users"}
"""OData cast segments (``microsoft.graph.<type>``) and the collection each type lists as."""


def require(req: GraphRequest, permission: str, *, also: frozenset[str] = frozenset()) -> None:
    """Graph's 403 unless the token holds one of the permissions the route accepts."""
    principal = req.principal
    if principal.kind == "app":
        held, allowed = principal.roles, PERMISSIONS[permission]
    else:
        held = principal.scopes
        allowed = PERMISSIONS[permission] | _DELEGATED_ALSO.get(permission, frozenset())
    if not held & (allowed | also):
        raise forbidden()


def require_user_read(req: GraphRequest, user_id: str | None = None, what: str = "users") -> None:
    """Graph's 403 unless the token may read users (``what``: the ``PERMISSIONS`` key of the
    route); on its own user a delegated token may also use what ``_OWN_USER`` adds (User.Read)."""
    own = req.principal.kind == "delegated" and user_id == req.principal.user_id
    require(req, what, also=_OWN_USER.get(what, frozenset()) if own else frozenset())
    asked = (req.params.get("$select", "") + " " + req.params.get("$filter", "")).lower()
    if "signinactivity" in asked:  # sign-in data comes from the audit logs, as on Graph
        require(req, "auditLogs")


def key_of(raw: str) -> str:
    """The key inside ``('...')`` (Graph's form for UPNs starting with '$'), else the segment."""
    if raw.startswith("('") and raw.endswith("')"):
        return raw[2:-2].replace("''", "'")
    return raw


def find_user(tenant: Tenant, raw_id: str) -> dict[str, Any]:
    """The user named by a path segment (id, UPN or ``('upn')``), or Graph's 404."""
    key = key_of(raw_id)
    found = tenant.find_user(key)
    if found is None:
        raise not_found(key)
    return found


def directory_object(
    tenant: Tenant, engine: Engine, kind: str, raw_id: str, alt: str | None = None
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


class ObjectIds:
    """Ids of created objects: deterministic GUIDs from the seed and one creation counter, so
    every object a session creates takes the next id whatever its type."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._serial = 0

    def new_id(self) -> str:
        """The next created object's id."""
        self._serial += 1
        h = hashlib.sha256(f"{self._seed}:object:{self._serial}".encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class TenantRoutes:
    """Handlers over one tenant and its query engine; each entity module adds ``register``."""

    def __init__(self, tenant: Tenant, engine: Engine) -> None:
        self.tenant = tenant
        self.engine = engine


class WritingRoutes(TenantRoutes):
    """Handlers that also create objects: ids from the shared ``ids``, dates from the fixed
    clock's ``clock_iso``."""

    def __init__(
        self, tenant: Tenant, engine: Engine, ids: ObjectIds, clock_iso: Callable[[], str]
    ) -> None:
        super().__init__(tenant, engine)
        self.ids = ids
        self.clock_iso = clock_iso


def json_object(req: GraphRequest) -> dict[str, Any]:
    """The JSON object a write sends, or Graph's 400 when the body is anything else."""
    body = req.json_body()
    if not isinstance(body, dict):
        raise bad_request("One or more properties contains invalid values.")
    return body


def declared_body(req: GraphRequest, properties: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object of a write, refusing properties the type does not declare (instance
    annotations such as ``@odata.type``, which SDKs send, are allowed)."""
    return check_declared(json_object(req), properties)


def check_declared(body: dict[str, Any], properties: tuple[str, ...]) -> dict[str, Any]:
    """``body``, or Graph's 400 naming its first property the type does not declare."""
    for key in body:
        if key not in properties and not key.startswith("@"):
            raise bad_request(ge.UNDECLARED_PROPERTY.format(prop=key))
    return body


def invalid_value(prop: str, resource: str) -> GraphError:
    """Graph's 400 for a property value it will not store, naming the property in details."""
    return GraphError(
        400,
        "Request_BadRequest",
        ge.INVALID_VALUE.format(prop=prop, resource=resource),
        details=[{"code": "InvalidValue", "target": prop}],
    )


def _cast_items(
    engine: Engine, items: list[dict[str, Any]], cast: str
) -> tuple[EntitySpec, list[dict[str, Any]]]:
    """The cast type's spec and the items of that type (other types drop out)."""
    spec = engine.specs[_CASTS[cast.lower()]]
    return spec, [obj for obj in items if engine.spec_of(obj) is spec]


def cast_list(
    engine: Engine, req: GraphRequest, items: list[dict[str, Any]], cast: str
) -> GraphResponse:
    """A cast page: Graph names the cast type's collection in @odata.context and, every
    item being of that type, leaves out @odata.type, as /groups or /users list them."""
    require_cast_advanced(req)
    spec, items = _cast_items(engine, items, cast)
    return engine.collection_response(spec, req, items)


def cast_count(
    engine: Engine, req: GraphRequest, items: list[dict[str, Any]], cast: str
) -> GraphResponse:
    """``$count`` of one type out of a mixed relationship."""
    spec, items = _cast_items(engine, items, cast)
    return engine.count_response(spec, req, items)
