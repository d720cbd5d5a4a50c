"""The managed identity endpoints an Azure host runs beside a workload, as msal calls them.

Two of Azure's forms: the VM's Instance Metadata Service (``GET /metadata/identity/oauth2/token``
with ``Metadata: true``; Azure VMs, Azure ML and Synapse compute) and App Service's local
endpoint (``GET /msi/token`` with the ``X-IDENTITY-HEADER`` secret; App Service, Functions).
Both hand out an app-only Graph token for the host's identity: the system-assigned one, or a
user-assigned one named by ``client_id``. In-process they answer msal at Azure's own addresses
(nothing leaves the process); served, ``IDENTITY_ENDPOINT`` points msal at the loopback port.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph_magic.sandbox.entra.apps import MANAGED_IDENTITIES, SandboxApp
from graph_magic.sandbox.entra.tokens import TokenService

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"
#: The secret App Service puts in ``IDENTITY_HEADER`` for the sandbox's "web app".
IDENTITY_HEADER = "sandbox-identity-header"


def routes(tokens: TokenService) -> list[Route]:
    """The two managed identity endpoints, to mount on the sandbox app (any host name)."""
    endpoints = _ManagedIdentityEndpoints(tokens)
    return [
        Route(IMDS_PATH, endpoints.imds, methods=["GET"]),
        Route(APP_SERVICE_PATH, endpoints.app_service, methods=["GET"]),
    ]


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


class _ManagedIdentityEndpoints:
    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    async def imds(self, request: Request) -> JSONResponse:
        if request.headers.get("metadata", "").lower() != "true":
            return _imds_error(
                _Refused("invalid_request", "Required metadata header not specified")
            )
        try:
            identity, resource = self._identity_and_resource(request)
        except _Refused as refused:
            return _imds_error(refused)
        token, lifetime = self.tokens.issue_app_token(identity.client_id)
        now = int(self.tokens.clock())
        return JSONResponse(
            {
                "access_token": token,
                "client_id": identity.client_id,
                "expires_in": str(lifetime),
                "expires_on": str(now + lifetime),
                "ext_expires_in": str(lifetime),
                "not_before": str(now),
                "resource": resource,
                "token_type": "Bearer",
            }
        )

    async def app_service(self, request: Request) -> JSONResponse:
        if request.headers.get("x-identity-header") != IDENTITY_HEADER:
            return JSONResponse(
                {"statusCode": 401, "message": "The X-IDENTITY-HEADER is missing or wrong."},
                status_code=401,
            )
        try:
            identity, resource = self._identity_and_resource(request)
        except _Refused as refused:
            return JSONResponse(
                {"statusCode": 400, "message": refused.description}, status_code=400
            )
        token, lifetime = self.tokens.issue_app_token(identity.client_id)
        return JSONResponse(
            {
                "access_token": token,
                "expires_on": str(int(self.tokens.clock()) + lifetime),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            }
        )

    def _identity_and_resource(self, request: Request) -> tuple[SandboxApp, str]:
        """The identity asked for (system-assigned unless ``client_id``) and the resource."""
        params = request.query_params
        client_id = params.get("client_id")
        identity = MANAGED_IDENTITIES[0]
        if client_id:
            found = [mi for mi in MANAGED_IDENTITIES if mi.client_id == client_id]
            if not found:
                raise _Refused("invalid_request", "Identity not found")
            identity = found[0]
        resource = params.get("resource", "")
        if resource.rstrip("/") != self.tokens.resource:
            raise _Refused(
                "invalid_resource",
                f"AADSTS500011: The resource principal named {resource or '(none)'} was not "
                f"found in the tenant named {self.tokens.tenant_id}.",
            )
        return identity, resource


def _imds_error(refused: _Refused) -> JSONResponse:
    return JSONResponse(
        {"error": refused.error, "error_description": refused.description}, status_code=400
    )
