"""Graph's /devices routes: list, get and registeredOwners reads, and device update and delete.

A device is addressed by object id or ``(deviceId='...')``; a PATCH changes the writable
properties Graph documents (extensionAttributes merge) and leaves read-only ones as they were.
"""

from __future__ import annotations

import re
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import (
    ID,
    TenantRoutes,
    declared_body,
    directory_object,
    invalid_value,
    require,
)

_DEVICE_WRITABLE = frozenset(
    {
        "accountEnabled",
        "displayName",
        "extensionAttributes",
        "isCompliant",
        "isManaged",
        "operatingSystem",
        "operatingSystemVersion",
    }
)
_DEVICE_BOOLEANS = ("accountEnabled", "isCompliant", "isManaged")
_EXTENSION_ATTRIBUTE = re.compile(r"^extensionAttribute(?:[1-9]|1[0-5])$")
"""A device's fifteen extensionAttributes; a PATCH sets the ones it names, keeping the rest."""


class DeviceRoutes(TenantRoutes):
    """The /devices handlers of one tenant."""

    def register(self, router: Router) -> None:
        """Add the device routes (relationships before ``{id}``)."""
        add = router.add
        add("GET", r"/devices", self.list_devices)
        add("GET", rf"/devices/{ID}/registeredOwners", self.device_owners)
        add("GET", rf"/devices/{ID}/owners", self.device_wrong_owners)
        add("GET", rf"/devices/{ID}", self.get_device)
        add("PATCH", r"/devices/(?P<id>[^/]+)", self.update_device)
        add("DELETE", r"/devices/(?P<id>[^/]+)", self.delete_device)

    # ----- reads -----------------------------------------------------------------------------

    def list_devices(self, req: GraphRequest) -> GraphResponse:
        """GET /devices."""
        require(req, "devices")
        return self.engine.collection_response(
            self.engine.specs["devices"], req, self.tenant.devices
        )

    def get_device(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /devices/{id} (also ``(deviceId='...')``)."""
        require(req, "devices")
        device = directory_object(self.tenant, self.engine, "devices", id, "deviceId")
        return self.engine.entity_response(self.engine.specs["devices"], req, device)

    def device_owners(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /devices/{id}/registeredOwners: typed users with @odata.id, as Graph lists them."""
        require(req, "devices")
        device = directory_object(self.tenant, self.engine, "devices", id, "deviceId")
        owners = self.engine.related(device["id"], "registeredOwners")
        spec = self.engine.specs["users"]
        result = self.engine.run_collection(spec, req, owners)
        head: dict[str, Any] = {
            "@odata.context": context_url(req, "directoryObjects", result.select)
        }
        if result.next_link:
            head["@odata.nextLink"] = result.next_link
        tenant_id = self.tenant.options.identity.tenant_id
        base = f"https://graph.microsoft.com/v2/{tenant_id}/directoryObjects"
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

    # ----- writes ----------------------------------------------------------------------------

    def update_device(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /devices/{id} (addressed as GET addresses it): 204; the writable properties
        Graph documents change, extensionAttributes merge, read-only ones stay as they were."""
        require(req, "devices.write")
        device = directory_object(self.tenant, self.engine, "devices", id, "deviceId")
        body = declared_body(req, self.engine.specs["devices"].properties)
        for prop in _DEVICE_BOOLEANS:
            if prop in body and not isinstance(body[prop], bool):
                raise invalid_value(prop, "Device")
        name = body.get("displayName", "-")
        if not isinstance(name, str) or not name:
            raise invalid_value("displayName", "Device")
        extension = body.get("extensionAttributes", {})
        if not isinstance(extension, dict) or not all(map(_EXTENSION_ATTRIBUTE.match, extension)):
            raise invalid_value("extensionAttributes", "Device")
        for key, value in body.items():
            if key == "extensionAttributes":
                device[key] = {**device[key], **value}
            elif key in _DEVICE_WRITABLE:
                device[key] = value
        self.engine.projector.forget(device["id"])
        return GraphResponse(204, b"", None)

    def delete_device(self, req: GraphRequest, id: str) -> GraphResponse:
        """DELETE /devices/{id} (addressed as GET addresses it): 204, then 404."""
        require(req, "devices.delete")
        device = directory_object(self.tenant, self.engine, "devices", id, "deviceId")
        self.tenant.remove_device(device)
        self.engine.projector.forget(device["id"])
        return GraphResponse(204, b"", None)
