"""Graph's application and service principal writes: create, update, delete, and password
credentials (``addPassword`` / ``removePassword``).

A secret is shown once: ``addPassword`` answers the ``secretText`` with its ``hint`` (its first
three characters), and the stored credential keeps only the hint, as Graph does, so no later
read returns the secret. Secrets, key ids and dates derive from the seed and the sandbox's
fixed clock, so the same requests give the same answers.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import GraphError, bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import (
    WritingRoutes,
    check_declared,
    directory_object,
    invalid_value,
    json_object,
    require,
)
from graph_magic.sandbox.routes.apps import BY_APP_ID
from graph_magic.sandbox.tenant.constants import DOMAIN, TENANT_ID
from graph_magic.sandbox.tenant.properties import fresh

_OBJ = r"(?P<id>[^/]+)"
_WRITE = {"applications": "applications.write", "servicePrincipals": "servicePrincipals.write"}
_READ_ONLY = frozenset(
    {"id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "passwordCredentials"}
)
SECRET_LIFETIME = timedelta(days=730)
"""A secret added without ``endDateTime`` expires after two years, as Graph's do."""
_SECRET_LENGTH = 40


class AppWriteRoutes(WritingRoutes):
    """The application and service principal writes of one tenant."""

    def register(self, router: Router) -> None:
        """Add the write routes (the credential actions before ``{id}``)."""
        add = router.add
        add("POST", r"/applications", self.create_application)
        add("POST", r"/servicePrincipals", self.create_service_principal)
        for kind in ("applications", "servicePrincipals"):  # literal first segments: buckets
            add("POST", rf"/{kind}/{_OBJ}/addPassword", partial(self.add_password, kind=kind))
            add("POST", rf"/{kind}/{_OBJ}/removePassword", partial(self.remove_password, kind=kind))
            for key in (rf"/{_OBJ}", BY_APP_ID):
                add("PATCH", rf"/{kind}{key}", partial(self.update, kind=kind))
                add("DELETE", rf"/{kind}{key}", partial(self.delete, kind=kind))

    # ----- create, update, delete ------------------------------------------------------------

    def create_application(self, req: GraphRequest) -> GraphResponse:
        """POST /applications: 201 with the registration (displayName is required)."""
        require(req, "applications.create")
        spec = self.engine.specs["applications"]
        body = check_declared(json_object(req), spec.properties)
        name = body.get("displayName")
        if not name:
            raise bad_request(ge.PROPERTY_REQUIRED.format(prop="displayName"))
        if not isinstance(name, str) or len(name) > 256:
            raise invalid_value("displayName", "Application")
        app = {**dict.fromkeys(spec.properties), **fresh("applications")}
        app.update(_empty_lists(app))
        app["signInAudience"] = "AzureADandPersonalMicrosoftAccount"
        app["web"] = {"redirectUris": [], "homePageUrl": None, "logoutUrl": None}
        app["publicClient"] = {"redirectUris": []}
        app.update({k: v for k, v in body.items() if k not in _READ_ONLY and k in app})
        app.update(
            {
                "id": self.ids.new_id(),
                "appId": self.ids.new_id(),
                "createdDateTime": self.clock_iso() + "Z",
                "publisherDomain": DOMAIN,
            }
        )
        self.tenant.add_object("applications", app)
        head = {"@odata.context": context_url(req, "applications", entity=True)}
        return json_response({**head, **project(spec, app, ())}, 201)

    def create_service_principal(self, req: GraphRequest) -> GraphResponse:
        """POST /servicePrincipals: 201 for an application of the tenant that has none yet."""
        require(req, "servicePrincipals.write")
        spec = self.engine.specs["servicePrincipals"]
        body = check_declared(json_object(req), spec.properties)
        app_id = body.get("appId")
        if not app_id:
            raise bad_request(ge.PROPERTY_REQUIRED.format(prop="appId"))
        app = next((a for a in self.tenant.applications if a["appId"] == app_id), None)
        if app is None:
            raise bad_request(ge.SP_APP_NOT_FOUND.format(app_id=app_id))
        if any(sp["appId"] == app_id for sp in self.tenant.service_principals):
            raise GraphError(
                409, "Request_MultipleObjectsWithSameKeyValue", ge.SP_EXISTS.format(app_id=app_id)
            )
        sp = {**dict.fromkeys(spec.properties), **fresh("servicePrincipals")}
        sp.update(_empty_lists(sp))
        sp.update({k: v for k, v in body.items() if k not in _READ_ONLY and k in sp})
        sp.update(_from_application(app))
        sp["id"] = self.ids.new_id()
        self.tenant.add_object("servicePrincipals", sp)
        head = {"@odata.context": context_url(req, "servicePrincipals", entity=True)}
        return json_response({**head, **project(spec, sp, ())}, 201)

    def update(self, req: GraphRequest, kind: str, id: str) -> GraphResponse:
        """PATCH /applications/{id} or /servicePrincipals/{id}: 204; read-only ones ignored."""
        kind = _canonical(kind)
        require(req, _WRITE[kind])
        obj = directory_object(self.tenant, self.engine, kind, id, "appId")
        body = check_declared(json_object(req), self.engine.specs[kind].properties)
        if "displayName" in body and not body["displayName"]:
            raise invalid_value("displayName", _resource(kind))
        for key, value in body.items():
            if key in obj and key not in _READ_ONLY:
                obj[key] = value
        self._changed(obj)
        return GraphResponse(204, b"", None)

    def delete(self, req: GraphRequest, kind: str, id: str) -> GraphResponse:
        """DELETE /applications/{id} or /servicePrincipals/{id}: 204 (Graph's soft delete)."""
        kind = _canonical(kind)
        require(req, _WRITE[kind])
        obj = directory_object(self.tenant, self.engine, kind, id, "appId")
        self.tenant.remove_object(kind, obj)
        self.engine.projector.forget(obj["id"])
        return GraphResponse(204, b"", None)

    # ----- password credentials --------------------------------------------------------------

    def add_password(self, req: GraphRequest, kind: str, id: str) -> GraphResponse:
        """POST .../addPassword: 200 with the new credential and its secretText (shown once)."""
        kind = _canonical(kind)
        require(req, "applications.credentials")
        obj = directory_object(self.tenant, self.engine, kind, id, "appId")
        asked = json_object(req).get("passwordCredential") if req.body.strip() else None
        if asked is not None and not isinstance(asked, dict):
            raise invalid_value("passwordCredential", "PasswordCredential")
        credential = self._new_credential(asked or {})
        secret = credential.pop("secretText")
        obj["passwordCredentials"] = [
            *obj["passwordCredentials"],
            {**credential, "secretText": None},
        ]
        self._changed(obj)
        context = f"{req.origin}/{req.version}/$metadata#microsoft.graph.passwordCredential"
        return json_response({"@odata.context": context, **credential, "secretText": secret})

    def _new_credential(self, asked: dict[str, Any]) -> dict[str, Any]:
        key_id = self.ids.new_id()
        start = asked.get("startDateTime") or self.clock_iso() + "Z"
        end = asked.get("endDateTime") or _plus(start, SECRET_LIFETIME)
        for prop, value in (("startDateTime", start), ("endDateTime", end)):
            if _parsed(value) is None:
                raise invalid_value(prop, "PasswordCredential")
        digest = hashlib.sha256(f"{self.tenant.seed}:secret:{key_id}".encode()).digest()
        secret = base64.urlsafe_b64encode(digest).decode()[:_SECRET_LENGTH].replace("_", "~")
        return {
            "customKeyIdentifier": None,
            "displayName": asked.get("displayName"),
            "endDateTime": end,
            "hint": secret[:3],
            "keyId": key_id,
            "secretText": secret,
            "startDateTime": start,
        }

    def remove_password(self, req: GraphRequest, kind: str, id: str) -> GraphResponse:
        """POST .../removePassword with ``{"keyId": ...}``: 204, or a 400 for an unknown key."""
        kind = _canonical(kind)
        require(req, "applications.credentials")
        obj = directory_object(self.tenant, self.engine, kind, id, "appId")
        key_id = json_object(req).get("keyId")
        if not isinstance(key_id, str) or not key_id:
            raise bad_request(ge.PROPERTY_REQUIRED.format(prop="keyId"))
        kept = [c for c in obj["passwordCredentials"] if c.get("keyId") != key_id]
        if len(kept) == len(obj["passwordCredentials"]):
            raise bad_request(ge.NO_PASSWORD_CREDENTIAL.format(key=key_id))
        obj["passwordCredentials"] = kept
        self._changed(obj)
        return GraphResponse(204, b"", None)

    def _changed(self, obj: dict[str, Any]) -> None:
        self.tenant.touch(obj["id"])
        self.engine.projector.forget(obj["id"])


def _canonical(kind: str) -> str:
    """The collection's stored name whatever case the path used."""
    return "applications" if kind.lower() == "applications" else "servicePrincipals"


def _resource(kind: str) -> str:
    return "Application" if kind == "applications" else "ServicePrincipal"


_LISTS = (
    "identifierUris",
    "tags",
    "keyCredentials",
    "passwordCredentials",
    "appRoles",
    "requiredResourceAccess",
    "replyUrls",
    "servicePrincipalNames",
)


def _empty_lists(obj: dict[str, Any]) -> dict[str, list[Any]]:
    """The collection properties of ``obj``'s type a new object starts with, empty."""
    return {name: [] for name in _LISTS if name in obj}


def _from_application(app: dict[str, Any]) -> dict[str, Any]:
    """What a service principal takes from its application (Graph copies these)."""
    return {
        "appId": app["appId"],
        "displayName": app["displayName"],
        "appDisplayName": app["displayName"],
        "accountEnabled": True,
        "appOwnerOrganizationId": TENANT_ID,
        "appRoleAssignmentRequired": False,
        "servicePrincipalType": "Application",
        "signInAudience": app["signInAudience"],
        "servicePrincipalNames": [app["appId"]],
        "oauth2PermissionScopes": [],
    }


def _parsed(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _plus(start: str, span: timedelta) -> str:
    """``start`` plus ``span``, in Graph's stored form (or ``start`` if it does not parse)."""
    moment = _parsed(start)
    if moment is None:
        return start
    return (moment + span).strftime("%Y-%m-%dT%H:%M:%SZ")
