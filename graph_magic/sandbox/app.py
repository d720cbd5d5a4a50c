"""The sandbox's ASGI app: HTTP in, Graph's headers and errors out, handlers in between.

:class:`GraphService` owns one tenant and everything derived from it (query engine, routes,
tokens, a deterministic clock and request-id sequence). Its Starlette endpoint turns each HTTP
request into a ``GraphRequest``, authenticates it with entra's ``TokenService``, runs the
route and writes Graph's response headers (request-id, client-request-id, Date, OData-Version,
content type). Request ids and dates come from the seed and a request counter on a fixed clock,
so the same seed and the same request sequence give byte-identical answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import graph_magic.sandbox.graph_errors as ge
from graph_magic.knowledge.costs import resource_units
from graph_magic.sandbox._clock import at_tick, http_date, iso_seconds
from graph_magic.sandbox.entra.endpoints import routes as identity_routes
from graph_magic.sandbox.entra.tokens import TokenRejected, TokenService
from graph_magic.sandbox.faults import FaultMiddleware, batch_item_fault
from graph_magic.sandbox.graph_errors import GraphError
from graph_magic.sandbox.graph_metadata import (
    ANONYMOUS,
    is_metadata,
    metadata_response,
    unmodelled,
)
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, compact_json
from graph_magic.sandbox.odata.engine import Engine
from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.routes._common import ObjectIds
from graph_magic.sandbox.routes.app_writes import AppWriteRoutes
from graph_magic.sandbox.routes.apps import AppRoutes
from graph_magic.sandbox.routes.batch import run_batch
from graph_magic.sandbox.routes.delta import Delta
from graph_magic.sandbox.routes.delta_directory import (
    ApplicationDelta,
    GroupDelta,
    ServicePrincipalDelta,
)
from graph_magic.sandbox.routes.devices import DeviceRoutes
from graph_magic.sandbox.routes.directory import DirectoryRoutes
from graph_magic.sandbox.routes.group_links import OwnerRoutes
from graph_magic.sandbox.routes.groups import GroupRoutes
from graph_magic.sandbox.routes.invitations import InvitationRoutes
from graph_magic.sandbox.routes.logs import LogRoutes
from graph_magic.sandbox.routes.me import MeRoutes
from graph_magic.sandbox.routes.memberships import MembershipRoutes
from graph_magic.sandbox.routes.reports import DOWNLOAD_PREFIX, Reports
from graph_magic.sandbox.routes.role_management import RoleRoutes
from graph_magic.sandbox.routes.security import SecurityRoutes
from graph_magic.sandbox.routes.users import UserRoutes
from graph_magic.sandbox.tenant.constants import GRAPH_APP_ID
from graph_magic.sandbox.tenant.store import Tenant

_log = logging.getLogger("graph_magic.sandbox")

VERSIONS = ("v1.0", "beta")

_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_DIAGNOSTIC = (
    '{"ServerInfo":{"DataCenter":"Sandbox","Slice":"E","Ring":"5","ScaleUnit":"000",'
    '"RoleInstance":"SANDBOX000001"}}'
)


def _www_authenticate(login_host: str) -> str:
    """The challenge Graph sends with a 401: where to sign in, for which resource app."""
    return (
        f'Bearer realm="", authorization_uri="https://{login_host}/common/oauth2/authorize", '
        f'client_id="{GRAPH_APP_ID}"'
    )


class _Stamp:
    """One request's identity on the fixed clock: its request id, and its dates on demand.

    Every request (each $batch item too) takes a stamp, but most never show a date, so the
    dates are formatted only when asked for.
    """

    __slots__ = ("moment", "request_id")

    def __init__(self, request_id: str, moment: datetime) -> None:
        self.request_id = request_id
        self.moment = moment

    @property
    def iso(self) -> str:
        """``2024-06-01T09:00:05``, as Graph's innerError dates."""
        return iso_seconds(self.moment)

    @property
    def http_date(self) -> str:
        """The HTTP ``Date`` header's form."""
        return http_date(self.moment)


class GraphService:
    """One sandbox tenant behind Graph's routes (shared by HTTP requests and $batch items)."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.tenant = Tenant(options)
        self.engine = Engine(self.tenant)
        self.router = Router()
        self.reports = Reports(self.tenant)
        self._register_routes()
        self.token_service = TokenService(options, self.tenant.find_user)
        self.state: State | None = None
        self._counter = 0
        self._lock = threading.Lock()
        self._run_lock = threading.RLock()  # handlers mutate the tenant; $batch re-enters run()

    def _register_routes(self) -> None:
        """Every entity's routes; /me and the deltas before /users, /groups, ..., whose ``{id}``
        would match."""
        tenant, engine = self.tenant, self.engine
        ids = ObjectIds(tenant.seed)
        users = UserRoutes(tenant, engine, ids, self._now_iso)
        for routes in (
            MeRoutes(users),
            Delta(tenant, engine, lambda: self.fixed_now()),  # late-bound: tests age tokens
            GroupDelta(tenant, engine, lambda: self.fixed_now()),
            ApplicationDelta(tenant, engine, lambda: self.fixed_now()),
            ServicePrincipalDelta(tenant, engine, lambda: self.fixed_now()),
            users,
            InvitationRoutes(tenant, ids, self._now_iso),
            GroupRoutes(tenant, engine, ids, self._now_iso),
            DeviceRoutes(tenant, engine),
            AppRoutes(tenant, engine),
            AppWriteRoutes(tenant, engine, ids, self._now_iso),
            LogRoutes(tenant, engine),
            DirectoryRoutes(tenant, engine),
            OwnerRoutes(tenant, engine),
            MembershipRoutes(tenant, engine),
            self.reports,
            SecurityRoutes(tenant, engine),
            RoleRoutes(tenant, engine),
        ):
            routes.register(self.router)

    # ----- the fixed clock and request ids ---------------------------------------------------

    def fixed_now(self) -> float:
        """The fixed clock as epoch seconds (for answers made outside the routes: faults)."""
        return at_tick(self._counter).timestamp()

    def _now_iso(self) -> str:
        return iso_seconds(at_tick(self._counter))

    def stamp(self) -> _Stamp:
        """The next request's id and dates (seed + counter; the clock ticks once per request)."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        h = hashlib.sha256(f"{self.options.seed}:request:{counter}".encode()).hexdigest()
        request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
        return _Stamp(request_id, at_tick(counter))

    # ----- running one request ---------------------------------------------------------------

    def run(self, req: GraphRequest) -> GraphResponse:
        """Route and run one Graph request; errors become Graph's error body. Adds ids/headers."""
        stamp = self.stamp()
        client_id = req.headers.get("client-request-id") or stamp.request_id
        try:
            with self._run_lock:
                response = self._dispatch(req)
        except GraphError as exc:
            response = self.error_response(exc, stamp, client_id)
        except Exception:  # a sandbox bug: answer as Graph would (500), keep the traceback
            _log.exception("sandbox handler failed for %s %s", req.method, req.path)
            failure = GraphError(500, "UnknownError", "The sandbox failed to handle the request.")
            response = self.error_response(failure, stamp, client_id)
        headers = response.headers
        headers.setdefault("request-id", stamp.request_id)
        headers.setdefault("client-request-id", client_id)
        if "Date" not in headers:
            headers["Date"] = stamp.http_date
        return response

    def _dispatch(self, req: GraphRequest) -> GraphResponse:
        if req.path.rstrip("/").lower() == "/$batch":
            if req.method != "POST":
                raise GraphError(405, "Request_BadRequest", ge.METHOD_NOT_ALLOWED)
            return run_batch(req, self.run, self._failed_dependency, self._item_fault)
        if req.method not in _READS:
            self.engine.settle()  # collections are made on first read, never after a write
        if is_metadata(req.path):
            return metadata_response(req, self.options.cloud)
        try:
            handler, args = self.router.resolve(req.method, req.path)
        except GraphError as refusal:  # real Graph the sandbox lacks: 501, not Graph's 400/405
            raise unmodelled(req, refusal, self.options.cloud) from None
        return handler(req, **args)

    def error_response(self, exc: GraphError, stamp: _Stamp, client_id: str) -> GraphResponse:
        """Graph's error body with innerError (date, request-id, client-request-id)."""
        body = exc.body(date=stamp.iso, request_id=stamp.request_id, client_request_id=client_id)
        raw = compact_json(body).encode()
        return GraphResponse(exc.status, raw, "application/json", dict(exc.headers))

    def _failed_dependency(self, item_id: str) -> GraphResponse:
        stamp = self.stamp()
        exc = GraphError(424, "FailedDependency", ge.FAILED_DEPENDENCY)
        return self.error_response(exc, stamp, stamp.request_id)

    def _item_fault(self, item: GraphRequest) -> dict[str, Any] | None:
        return batch_item_fault(self.state, item) if self.state is not None else None

    # ----- HTTP ------------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        """Starlette endpoint for every non-identity path: Graph versions and report downloads."""
        path = request.scope["path"]
        version, _, rest = path.lstrip("/").partition("/")
        if path.startswith(DOWNLOAD_PREFIX):
            return self._download(path[len(DOWNLOAD_PREFIX) :])
        if version not in VERSIONS:
            return Response(b"", 404)
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = await request.body()
        origin = f"{request.url.scheme}://{request.url.netloc}"
        auth_header = request.headers.get("authorization")
        try:
            principal = (  # Graph serves its metadata document to anyone
                ANONYMOUS if is_metadata(rest) else self.token_service.verify(auth_header)
            )
        except TokenRejected as exc:  # Graph's 401, whatever the reason
            stamp = self.stamp()
            client_id = headers.get("client-request-id") or stamp.request_id
            error = GraphError(
                401,
                "InvalidAuthenticationToken",
                exc.message,
                headers={"WWW-Authenticate": _www_authenticate(self.token_service.login_host)},
            )
            response = self.error_response(error, stamp, client_id)
            response.headers.update(
                {
                    "request-id": stamp.request_id,
                    "client-request-id": client_id,
                    "Date": stamp.http_date,
                }
            )
            return self._to_http(response)
        req = GraphRequest(
            method=request.method,
            version=version,
            path="/" + rest,
            query=parse_qsl(request.url.query, keep_blank_values=True),
            headers=headers,
            body=body,
            origin=origin,
            principal=principal,
        )
        units = resource_units(req.method, req.path, request.url.query)  # Graph's cost
        return self._to_http(self.run(req), units)

    def _to_http(self, response: GraphResponse, units: int = 1) -> Response:
        headers = {
            "Cache-Control": "no-cache",
            "Strict-Transport-Security": "max-age=31536000",
            "x-ms-ags-diagnostic": _DIAGNOSTIC,
            "x-ms-resource-unit": str(units),
        }
        if response.content_type and "odata" in response.content_type:
            headers["OData-Version"] = "4.0"
        headers.update(response.headers)
        media_type = response.content_type if response.body else None
        return Response(response.body, response.status, headers, media_type)

    def _download(self, token: str) -> Response:
        found = self.reports.download(token)
        if found is None:
            return Response(b"", 404)
        body, name = found
        return Response(
            body,
            200,
            {"Content-Disposition": f'attachment; filename="{name}"'},
            "application/octet-stream",
        )


def create_app(
    options: SandboxOptions | dict[str, Any] | None = None,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> FaultMiddleware:
    """A fresh sandbox tenant as an ASGI app (Starlette, wrapped in the fault middleware).

    ``app.state.service`` is the :class:`GraphService`, ``app.state.tenant`` its data and
    ``app.state.tokens`` the TokenService (tests issue tokens with it).
    """
    if not isinstance(options, SandboxOptions):
        options = SandboxOptions.from_dict(options)
    service = GraphService(options)
    starlette = Starlette(
        routes=[
            *identity_routes(service.token_service),
            Route("/{path:path}", service.endpoint, methods=_METHODS),
        ]
    )
    starlette.state.service = service
    starlette.state.tenant = service.tenant
    starlette.state.tokens = service.token_service
    service.state = starlette.state
    return FaultMiddleware(starlette, options, sleep, dates=service.fixed_now)


_SHARED: dict[SandboxOptions, FaultMiddleware] = {}
_SHARED_LOCK = threading.Lock()
"""Process-wide: one app per distinct options, so every system on the same sandbox sees the same
writes (documented in DESIGN's sandbox section)."""


def shared_app(options: SandboxOptions | dict[str, Any] | None = None) -> FaultMiddleware:
    """The process's app for these options (created on first use, then reused)."""
    if not isinstance(options, SandboxOptions):
        options = SandboxOptions.from_dict(options)
    with _SHARED_LOCK:
        app = _SHARED.get(options)
        if app is None:
            app = _SHARED[options] = create_app(options)
        return app
