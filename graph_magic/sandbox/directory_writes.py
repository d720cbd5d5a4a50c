"""Graph's write routes for groups, their members and devices.

Groups are created (201 with the group), updated (204) and deleted (204, then 404); members are
added and removed by reference (``members/$ref``, 204), and devices are updated and deleted.
Validation follows Graph's order (unknown properties, required ones, then values and
conflicts) with its 400s; each route checks the permission Graph documents for it. A write
changes the tenant's indexes, so reads (``/groups``, ``members``, a user's ``memberOf``) show it
at once, and drops the changed object's cached projections.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox import graph_errors as ge
from graph_magic.sandbox.data import INITIAL_DOMAIN
from graph_magic.sandbox.graph_errors import GraphError, bad_request, not_found, unsupported_query
from graph_magic.sandbox.query import Engine, context_url, project
from graph_magic.sandbox.resources import directory_object, require
from graph_magic.sandbox.routing import GraphRequest, GraphResponse, Router, json_response

_GROUP_REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
_GROUP_READ_ONLY = frozenset(
    {
        "id",
        "createdDateTime",
        "deletedDateTime",
        "expirationDateTime",
        "mail",
        "proxyAddresses",
        "renewedDateTime",
        "securityIdentifier",
        "onPremisesLastSyncDateTime",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
        "onPremisesProvisioningErrors",
    }
)
_GROUP_BOOLEANS = ("mailEnabled", "securityEnabled")
_MAIL_NICKNAME = re.compile(r'^[^@()\\\[\]";:.<>,\s]{1,64}$')
"""Graph's mailNickname rule: 1-64 ASCII characters, none of ``@ () \\ [] " ; : . <> ,``
or a space."""

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

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_REFERENCE = re.compile(
    r"/(?:directoryObjects|users|groups|devices|servicePrincipals)/([^/?]+)$", re.IGNORECASE
)
"""The object id at the end of an ``@odata.id`` such as ``.../v1.0/directoryObjects/{id}``."""
_MEMBER_KINDS = frozenset({"users", "groups", "devices", "servicePrincipals"})
"""What Graph lets a group hold as members (applications cannot be)."""


class DirectoryWrites:
    """The group, membership and device writes of one tenant.

    ``new_id`` is the user writes' id source, so every object a session creates takes the next
    deterministic id whatever its type.
    """

    def __init__(
        self, tenant: Any, engine: Engine, clock_iso: Callable[[], str], new_id: Callable[[], str]
    ) -> None:
        self.tenant = tenant
        self.engine = engine
        self.clock_iso = clock_iso
        self.new_id = new_id

    def register(self, router: Router) -> None:
        """Add the group, membership and device write routes."""
        add = router.add
        add("POST", r"/groups", self.create_group)
        add("PATCH", r"/groups/(?P<id>[^/]+)", self.update_group)
        add("DELETE", r"/groups/(?P<id>[^/]+)", self.delete_group)
        add("POST", r"/groups/(?P<id>[^/]+)/members/\$ref", self.add_member)
        add("DELETE", r"/groups/(?P<id>[^/]+)/members/(?P<member>[^/]+)/\$ref", self.remove_member)
        add("PATCH", r"/devices/(?P<id>[^/]+)", self.update_device)
        add("DELETE", r"/devices/(?P<id>[^/]+)", self.delete_device)

    # ----- groups ----------------------------------------------------------------------------

    def create_group(self, req: GraphRequest) -> GraphResponse:
        """POST /groups: 201 with the group's default properties, or Graph's 400s."""
        require(req, "groups.create")
        spec = self.engine.specs["groups"]
        body = _body(req, spec.properties)
        for prop in _GROUP_REQUIRED:
            if body.get(prop) is None or body.get(prop) == "":
                raise bad_request(ge.PROPERTY_REQUIRED.format(prop=prop))
        _check_group_values(body)
        group = self._new_group(spec.properties, body)
        self.tenant.add_group(group)
        head = {"@odata.context": context_url(req, "groups", entity=True)}
        return json_response({**head, **project(spec, group, ())}, 201)

    def _new_group(self, properties: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
        """The stored group for a validated POST body: every property a generated group has,
        the body's writable ones, and what the directory sets itself (id, dates, addresses)."""
        group_id = self.new_id()
        created = self.clock_iso() + "Z"
        group: dict[str, Any] = dict.fromkeys(properties)
        group.update(
            {
                "resourceBehaviorOptions": [],
                "resourceProvisioningOptions": [],
                "onPremisesProvisioningErrors": [],
            }
        )
        group.update(
            {k: v for k, v in body.items() if k in properties and k not in _GROUP_READ_ONLY}
        )
        group["groupTypes"] = group["groupTypes"] or []
        unified = "Unified" in group["groupTypes"]
        mail = self._free_mail(body["mailNickname"], group_id) if unified else None
        digest = hashlib.sha256(group_id.encode()).digest()
        group.update(
            {
                "id": group_id,
                "createdDateTime": created,
                "renewedDateTime": created,
                "mail": mail,
                "proxyAddresses": _proxy_addresses(mail) if mail else [],
                "securityIdentifier": "S-1-12-1-"
                + "-".join(str(int.from_bytes(digest[i : i + 4], "big")) for i in (0, 4, 8, 12)),
                "visibility": body.get("visibility") or ("Public" if unified else None),
            }
        )
        return group

    def _free_mail(self, nick: str, group_id: str) -> str:
        """A Microsoft 365 group's address: the nickname, or with four digits when that address
        is taken (Graph picks a free one, e.g. ``library7423@contoso.com``, rather than fail)."""
        taken = {g["mail"].lower() for g in self.tenant.groups if g.get("mail")}
        mail = f"{nick}@{self.tenant.domain}"
        if mail.lower() in taken or self.tenant.find_user(mail) is not None:
            digits = int(hashlib.sha256(group_id.encode()).hexdigest()[:8], 16) % 9000 + 1000
            mail = f"{nick}{digits}@{self.tenant.domain}"
        return mail

    def update_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /groups/{id}: 204; omitted (and read-only) properties stay as they were."""
        require(req, "groups.write")
        group = directory_object(self.tenant, self.engine, "groups", id)
        body = _body(req, self.engine.specs["groups"].properties)
        if "displayName" in body and not body["displayName"]:
            raise _invalid("displayName", "Group")
        _check_group_values(body)
        for key, value in body.items():
            if key in group and key not in _GROUP_READ_ONLY:
                group[key] = value
        self.engine.projector.forget(group["id"])
        return GraphResponse(204, b"", None)

    def delete_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """DELETE /groups/{id}: 204; the group leaves /groups and its members' memberOf."""
        require(req, "groups.delete")
        group = directory_object(self.tenant, self.engine, "groups", id)
        self.tenant.remove_group(group)
        self.engine.projector.forget(group["id"])
        return GraphResponse(204, b"", None)

    # ----- members ---------------------------------------------------------------------------

    def add_member(self, req: GraphRequest, id: str) -> GraphResponse:
        """POST /groups/{id}/members/$ref with ``{"@odata.id": ".../directoryObjects/{id}"}``:
        204; 404 for an unknown object, Graph's 400 when it is already a member."""
        require(req, "groups.members")
        group = directory_object(self.tenant, self.engine, "groups", id)
        body = req.json_body()
        reference = body.get("@odata.id") if isinstance(body, dict) else None
        match = _REFERENCE.search(reference) if isinstance(reference, str) else None
        if match is None or not _GUID.match(match.group(1)):
            raise unsupported_query(ge.UNSUPPORTED_MEMBER_REFERENCE)
        member = self.tenant.find_object(match.group(1))
        if member is None:
            raise not_found(match.group(1))
        if self.engine.spec_of(member).name not in _MEMBER_KINDS:
            raise unsupported_query(ge.UNSUPPORTED_MEMBER_REFERENCE)
        if member["id"] in self.tenant.members.get(group["id"], ()):
            raise bad_request(ge.MEMBER_EXISTS)
        self.tenant.add_member(group["id"], member["id"])
        return GraphResponse(204, b"", None)

    def remove_member(self, req: GraphRequest, id: str, member: str) -> GraphResponse:
        """DELETE /groups/{id}/members/{memberId}/$ref: 204; 404 when not a direct member."""
        require(req, "groups.members")
        group = directory_object(self.tenant, self.engine, "groups", id)
        if not _GUID.match(member):
            raise unsupported_query(ge.UNSUPPORTED_MEMBER_REFERENCE)
        if member not in self.tenant.members.get(group["id"], ()):
            raise not_found(member)
        self.tenant.remove_member(group["id"], member)
        return GraphResponse(204, b"", None)

    # ----- devices ---------------------------------------------------------------------------

    def update_device(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /devices/{id} (addressed as GET addresses it): 204; the writable properties
        Graph documents change, extensionAttributes merge, read-only ones stay as they were."""
        require(req, "devices.write")
        device = directory_object(self.tenant, self.engine, "devices", id, "deviceId")
        body = _body(req, self.engine.specs["devices"].properties)
        for prop in _DEVICE_BOOLEANS:
            if prop in body and not isinstance(body[prop], bool):
                raise _invalid(prop, "Device")
        name = body.get("displayName", "-")
        if not isinstance(name, str) or not name:
            raise _invalid("displayName", "Device")
        extension = body.get("extensionAttributes", {})
        if not isinstance(extension, dict) or not all(map(_EXTENSION_ATTRIBUTE.match, extension)):
            raise _invalid("extensionAttributes", "Device")
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


def _body(req: GraphRequest, properties: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object of a write, refusing properties the type does not declare (instance
    annotations such as ``@odata.type``, which SDKs send, are allowed)."""
    body = req.json_body()
    if not isinstance(body, dict):
        raise bad_request("One or more properties contains invalid values.")
    for key in body:
        if key not in properties and not key.startswith("@"):
            raise bad_request(ge.UNDECLARED_PROPERTY.format(prop=key))
    return body


def _proxy_addresses(mail: str) -> list[str]:
    """A Microsoft 365 group's addresses: its mail, primary, and the same alias on the
    initial domain, as generated groups have."""
    return [f"SMTP:{mail}", f"smtp:{mail.partition('@')[0]}@{INITIAL_DOMAIN}"]


def _invalid(prop: str, resource: str) -> GraphError:
    """Graph's 400 for a property value it will not store, naming the property in details."""
    return GraphError(
        400,
        "Request_BadRequest",
        ge.INVALID_VALUE.format(prop=prop, resource=resource),
        details=[{"code": "InvalidValue", "target": prop}],
    )


def _check_group_values(body: dict[str, Any]) -> None:
    """The values Graph checks on a group write: booleans, the display name's type and length,
    the mail nickname's characters, and groupTypes as a list of names."""
    for prop in _GROUP_BOOLEANS:
        if prop in body and not isinstance(body[prop], bool):
            raise _invalid(prop, "Group")
    name = body.get("displayName")
    if name is not None and (not isinstance(name, str) or len(name) > 256):
        raise _invalid("displayName", "Group")
    nick = body.get("mailNickname")
    if nick is not None and (
        not isinstance(nick, str) or not nick.isascii() or not _MAIL_NICKNAME.match(nick)
    ):
        raise _invalid("mailNickname", "Group")
    types = body.get("groupTypes")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise _invalid("groupTypes", "Group")
