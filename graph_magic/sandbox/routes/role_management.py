"""Graph's directory role management reads: ``/roleManagement/directory/roleDefinitions`` and
``roleAssignments``.

Role definitions are Entra's built-in roles under Microsoft's template ids; assignments link a
role to a user, a guest or a service principal. ``$expand=principal`` or
``$expand=roleDefinition`` nests the linked object, the principal with its ``@odata.type``
(it may be any directory object), as Graph answers. Reading either needs
RoleManagement.Read.Directory, or Directory.Read.All, or a permission above them.
"""

from __future__ import annotations

from typing import Any

from graph_magic.sandbox.graph_errors import not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import Engine, project
from graph_magic.sandbox.odata.options import Expansion, context_url, parse_expand, parse_select
from graph_magic.sandbox.routes._common import ID, TenantRoutes, require
from graph_magic.sandbox.tenant.generate_security import role_assignment
from graph_magic.sandbox.tenant.schema import spec_from
from graph_magic.sandbox.tenant.security_tables import GLOBAL_ADMINISTRATOR
from graph_magic.sandbox.tenant.store import Tenant

DEFINITIONS = "roleManagement/directory/roleDefinitions"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"


class RoleRoutes(TenantRoutes):
    """The role definition and role assignment handlers of one tenant."""

    def __init__(self, tenant: Tenant, engine: Engine) -> None:
        super().__init__(tenant, engine)
        security = tenant.security
        self.definitions = spec_from(
            DEFINITIONS, "unifiedRoleDefinition", security.role_definitions[0], directory=False
        )
        self.assignments = spec_from(
            ASSIGNMENTS,
            "unifiedRoleAssignment",
            role_assignment(GLOBAL_ADMINISTRATOR, GLOBAL_ADMINISTRATOR),  # the shape, whoever holds
            directory=False,
            expand=frozenset({"principal", "roleDefinition"}),
        )

    def register(self, router: Router) -> None:
        """Add the role management routes."""
        add = router.add
        add("GET", "/" + DEFINITIONS, self.list_definitions)
        add("GET", rf"/{DEFINITIONS}/{ID}", self.get_definition)
        add("GET", "/" + ASSIGNMENTS, self.list_assignments)
        add("GET", rf"/{ASSIGNMENTS}/{ID}", self.get_assignment)

    def list_definitions(self, req: GraphRequest) -> GraphResponse:
        """GET /roleManagement/directory/roleDefinitions."""
        require(req, "roleManagement")
        items = self.tenant.security.role_definitions
        return self.engine.collection_response(self.definitions, req, items)

    def get_definition(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET one role definition by its id (the template id for a built-in role)."""
        require(req, "roleManagement")
        return self.engine.entity_response(self.definitions, req, self._definition(id))

    def list_assignments(self, req: GraphRequest) -> GraphResponse:
        """GET /roleManagement/directory/roleAssignments ($filter, $select, $expand)."""
        require(req, "roleAssignments")
        result = self.engine.run_collection(
            self.assignments, req, self.tenant.security.role_assignments
        )
        context = _context(req, result.select, result.expansion)
        body: dict[str, Any] = {"@odata.context": context}
        if result.count is not None:
            body["@odata.count"] = result.count
        if result.next_link:
            body["@odata.nextLink"] = result.next_link
        body["value"] = [self._shown(a, result.select, result.expansion) for a in result.page]
        return json_response(body)

    def get_assignment(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET one role assignment by id."""
        require(req, "roleAssignments")
        found = next((a for a in self.tenant.security.role_assignments if a["id"] == id), None)
        if found is None:
            raise not_found(id)
        select = parse_select(self.assignments, req, collection=False)
        expansion = parse_expand(self.assignments, req)
        head = {"@odata.context": _context(req, select, expansion, entity=True)}
        return json_response({**head, **self._shown(found, select, expansion)})

    def _definition(self, role_id: str) -> dict[str, Any]:
        found = next((d for d in self.tenant.security.role_definitions if d["id"] == role_id), None)
        if found is None:
            raise not_found(role_id)
        return found

    def _shown(
        self, assignment: dict[str, Any], select: tuple[str, ...], expansion: Expansion | None
    ) -> dict[str, Any]:
        """An assignment as Graph shows it, with the expanded principal or role definition."""
        out = project(self.assignments, assignment, select)
        if expansion is None:
            return out
        if expansion.name == "principal":
            principal = self.tenant.find_object(assignment["principalId"])
            out["principal"] = None if principal is None else self._principal(principal, expansion)
        else:
            definition = self._definition(assignment["roleDefinitionId"])
            out["roleDefinition"] = project(self.definitions, definition, expansion.select)
        return out

    def _principal(self, principal: dict[str, Any], expansion: Expansion) -> dict[str, Any]:
        """The expanded principal: of the selected properties, those its own type has (a
        service principal has no userType), with its ``@odata.type``."""
        spec = self.engine.spec_of(principal)
        known = {p.lower(): p for p in spec.properties}
        select = tuple(known[p.lower()] for p in expansion.select if p.lower() in known)
        return project(spec, principal, select or (("id",) if expansion.select else ()), True)


def _context(
    req: GraphRequest,
    select: tuple[str, ...],
    expansion: Expansion | None,
    *,
    entity: bool = False,
) -> str:
    """@odata.context naming the selected properties and the expansion, as
    ``roleAssignments(principal())``."""
    shown = list(select) + ([f"{expansion.name}()"] if expansion else [])
    return context_url(req, ASSIGNMENTS, shown, entity=entity)
