"""Graph's security reads: MFA registration, risky users, conditional access and domains.

``/reports/authenticationMethods/userRegistrationDetails`` (AuditLog.Read.All),
``/identityProtection/riskyUsers`` (IdentityRiskyUser.Read.All),
``/identity/conditionalAccess/policies`` and ``namedLocations`` (Policy.Read.All) and
``/domains`` (Domain.Read.All or Directory.Read.All). They are not directory objects, so the
collection engine runs their ``$filter``, ``$orderby``, ``$top`` and ``$count`` without the
directory's advanced-query rules. Named locations are of two types, each listed with its own
``@odata.type`` and only its own properties, as Graph lists them.
"""

from __future__ import annotations

from typing import Any

from graph_magic.sandbox.graph_errors import not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import Engine
from graph_magic.sandbox.odata.options import context_url, parse_select
from graph_magic.sandbox.routes._common import ID, TenantRoutes, require
from graph_magic.sandbox.tenant.generate_mfa import REGISTRATION_PROPERTIES
from graph_magic.sandbox.tenant.generate_security import RISKY_USER_PROPERTIES
from graph_magic.sandbox.tenant.schema import EntitySpec, spec_from
from graph_magic.sandbox.tenant.store import Tenant

REGISTRATION = "reports/authenticationMethods/userRegistrationDetails"
RISKY_USERS = "identityProtection/riskyUsers"
POLICIES = "identity/conditionalAccess/policies"
LOCATIONS = "identity/conditionalAccess/namedLocations"


def _spec(name: str, type_name: str, items: list[dict[str, Any]]) -> EntitySpec:
    """A non-directory collection's spec, its properties those of its first item (policies
    and domains are seeded whatever the tenant's size)."""
    return spec_from(name, type_name, items[0], directory=False)


def _locations_spec(items: list[dict[str, Any]]) -> EntitySpec:
    """namedLocation's spec: every property of either derived type, so $select and $filter
    know them all."""
    props: list[str] = []
    for item in items:
        props += [k for k in item if not k.startswith("@") and k not in props]
    return EntitySpec(LOCATIONS, "namedLocation", tuple(props), tuple(props), directory=False)


class SecurityRoutes(TenantRoutes):
    """The security report, Identity Protection, conditional access and domain handlers."""

    def __init__(self, tenant: Tenant, engine: Engine) -> None:
        super().__init__(tenant, engine)
        security = tenant.security
        self.specs = {
            REGISTRATION: EntitySpec(
                REGISTRATION,
                "userRegistrationDetails",
                REGISTRATION_PROPERTIES,
                REGISTRATION_PROPERTIES,
                directory=False,
            ),
            RISKY_USERS: EntitySpec(
                RISKY_USERS,
                "riskyUser",
                RISKY_USER_PROPERTIES,
                RISKY_USER_PROPERTIES,
                directory=False,
            ),
            POLICIES: _spec(POLICIES, "conditionalAccessPolicy", security.policies),
            LOCATIONS: _locations_spec(security.named_locations),
            "domains": _spec("domains", "domain", security.domains),
        }
        self.sources = {
            REGISTRATION: ("registration_details", "auditLogs"),
            RISKY_USERS: ("risky_users", "riskyUsers"),
            POLICIES: ("policies", "policies"),
            LOCATIONS: ("named_locations", "policies"),
            "domains": ("domains", "domains"),
        }
        """Each collection's attribute of ``tenant.security`` and its permission key."""

    def register(self, router: Router) -> None:
        """Add the security routes: a list and a get for each collection."""
        for name in self.sources:
            pattern = "/" + name
            router.add("GET", pattern, lambda req, name=name: self.list(req, name))
            router.add(
                "GET", rf"{pattern}/{ID}", lambda req, id, name=name: self.get(req, name, id)
            )

    def _items(self, req: GraphRequest, name: str) -> list[dict[str, Any]]:
        """A collection's items, once the token may read them (the MFA report is drawn on
        its first read)."""
        attribute, permission = self.sources[name]
        require(req, permission)
        items: list[dict[str, Any]] = getattr(self.tenant.security, attribute)
        return items

    def list(self, req: GraphRequest, name: str) -> GraphResponse:
        """GET one of the collections, after its permission check."""
        items = self._items(req, name)
        if name == LOCATIONS:
            return self._locations(req, items)
        return self.engine.collection_response(self.specs[name], req, items)

    def get(self, req: GraphRequest, name: str, id: str) -> GraphResponse:
        """GET one item by id (a domain by its name, case-insensitively, as Graph does)."""
        items = self._items(req, name)
        found = next((i for i in items if i["id"].lower() == id.lower()), None)
        if found is None:
            raise not_found(id)
        spec = self.specs[name]
        if name == LOCATIONS:
            select = parse_select(spec, req, collection=False)
            head = {"@odata.context": context_url(req, name, select, entity=True)}
            return json_response({**head, **_typed(found, select)})
        return self.engine.entity_response(spec, req, found)

    def _locations(self, req: GraphRequest, items: list[dict[str, Any]]) -> GraphResponse:
        """Named locations, each with its own type and only its type's properties."""
        result = self.engine.run_collection(self.specs[LOCATIONS], req, items)
        body: dict[str, Any] = {"@odata.context": context_url(req, LOCATIONS, result.select)}
        if result.count is not None:
            body["@odata.count"] = result.count
        if result.next_link:
            body["@odata.nextLink"] = result.next_link
        body["value"] = [_typed(obj, result.select) for obj in result.page]
        return json_response(body)


def _typed(obj: dict[str, Any], select: tuple[str, ...]) -> dict[str, Any]:
    """A polymorphic item: all of it, or its type, id and the selected properties it has."""
    if not select:
        return dict(obj)
    out = {"@odata.type": obj["@odata.type"]}
    out.update((p, obj[p]) for p in select if p in obj)
    out.setdefault("id", obj["id"])
    return out
