"""Graph's audit log reads: /auditLogs/signIns, /auditLogs/directoryAudits and
/auditLogs/provisioning."""

from __future__ import annotations

from graph_magic.sandbox.graph_errors import not_found
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router
from graph_magic.sandbox.routes._common import ID, TenantRoutes, require


class LogRoutes(TenantRoutes):
    """The audit log handlers of one tenant (newest first, as Graph lists them)."""

    def register(self, router: Router) -> None:
        """Add the audit log routes."""
        add = router.add
        add("GET", r"/auditLogs/signIns", self.list_sign_ins)
        add("GET", rf"/auditLogs/signIns/{ID}", self.get_sign_in)
        add("GET", r"/auditLogs/directoryAudits", self.list_audits)
        add("GET", rf"/auditLogs/directoryAudits/{ID}", self.get_audit)
        add("GET", r"/auditLogs/provisioning", self.list_provisioning)
        add("GET", rf"/auditLogs/provisioning/{ID}", self.get_provisioning)

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

    def list_provisioning(self, req: GraphRequest) -> GraphResponse:
        """GET /auditLogs/provisioning (newest first; Graph documents no page size, so the
        sign-ins' 1000 is both default and maximum)."""
        require(req, "auditLogs.provisioning")
        spec = self.engine.specs["auditLogs/provisioning"]
        return self.engine.collection_response(spec, req, self.tenant.provisioning)

    def get_provisioning(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /auditLogs/provisioning/{id}."""
        require(req, "auditLogs.provisioning")
        found = next((s for s in self.tenant.provisioning if s["id"] == id), None)
        if found is None:
            raise not_found(id)
        spec = self.engine.specs["auditLogs/provisioning"]
        return self.engine.entity_response(spec, req, found)
