"""Graph's app and licensing reads: /applications, /servicePrincipals and /subscribedSkus.

Applications and service principals are addressed by object id or ``(appId='...')``; SKUs
allow only $select, as on Graph.
"""

from __future__ import annotations

from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router
from graph_magic.sandbox.routes._common import ID, TenantRoutes, directory_object, require

BY_APP_ID = r"(?P<id>\(appId='[^/]+'\))"
"""Graph's alternate key in the collection's own segment: ``/applications(appId='...')``."""


class AppRoutes(TenantRoutes):
    """The application, service principal and SKU handlers of one tenant."""

    def register(self, router: Router) -> None:
        """Add the app routes."""
        add = router.add
        add("GET", r"/applications", self.list_applications)
        add("GET", rf"/applications/{ID}", self.get_application)
        add("GET", rf"/applications{BY_APP_ID}", self.get_application)
        add("GET", r"/servicePrincipals", self.list_service_principals)
        add("GET", rf"/servicePrincipals/{ID}", self.get_service_principal)
        add("GET", rf"/servicePrincipals{BY_APP_ID}", self.get_service_principal)
        add("GET", r"/subscribedSkus", self.list_skus)

    def list_applications(self, req: GraphRequest) -> GraphResponse:
        """GET /applications."""
        require(req, "applications")
        return self.engine.collection_response(
            self.engine.specs["applications"], req, self.tenant.applications
        )

    def get_application(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /applications/{id} (also ``(appId='...')``)."""
        require(req, "applications.item")
        app = directory_object(self.tenant, self.engine, "applications", id, "appId")
        return self.engine.entity_response(self.engine.specs["applications"], req, app)

    def list_service_principals(self, req: GraphRequest) -> GraphResponse:
        """GET /servicePrincipals."""
        require(req, "applications")
        return self.engine.collection_response(
            self.engine.specs["servicePrincipals"], req, self.tenant.service_principals
        )

    def get_service_principal(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /servicePrincipals/{id} (also ``(appId='...')``)."""
        require(req, "applications.item")
        sp = directory_object(self.tenant, self.engine, "servicePrincipals", id, "appId")
        return self.engine.entity_response(self.engine.specs["servicePrincipals"], req, sp)

    def list_skus(self, req: GraphRequest) -> GraphResponse:
        """GET /subscribedSkus (only $select is allowed)."""
        require(req, "subscribedSkus")
        return self.engine.collection_response(
            self.engine.specs["subscribedSkus"], req, self.tenant.subscribed_skus
        )
