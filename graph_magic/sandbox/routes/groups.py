"""Graph's /groups routes: list, count, get and members reads, and the group writes (create,
update, delete, with ``members@odata.bind`` / ``owners@odata.bind`` as ``group_links`` reads
them) with membership by reference (``members/$ref``).

Writes validate in Graph's order (unknown properties, required ones, then values and
conflicts) with its 400s, each route checking the permission Graph documents for it. A write
changes the tenant's indexes, so reads (``/groups``, ``members``, a user's ``memberOf``) show it
at once, and drops the changed object's cached projections.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request, not_found, unsupported_query
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import (
    ID,
    WritingRoutes,
    cast_count,
    cast_list,
    check_declared,
    directory_object,
    invalid_value,
    json_object,
    require,
)
from graph_magic.sandbox.routes.group_links import apply_links, check_new, take_links
from graph_magic.sandbox.tenant.properties import fresh

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

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_REFERENCE = re.compile(
    r"/(?:directoryObjects|users|groups|devices|servicePrincipals)/([^/?]+)$", re.IGNORECASE
)
"""The object id at the end of an ``@odata.id`` such as ``.../v1.0/directoryObjects/{id}``."""
_MEMBER_KINDS = frozenset({"users", "groups", "devices", "servicePrincipals"})
"""What Graph lets a group hold as members (applications cannot be)."""

_CAST_MEMBER = r"/microsoft\.graph\.(?P<cast>user|group)"


class GroupRoutes(WritingRoutes):
    """The /groups handlers of one tenant; created groups take ids from ``ids``."""

    def register(self, router: Router) -> None:
        """Add the group routes (order matters: literal segments before ``{id}``)."""
        add = router.add
        add("GET", r"/groups", self.list_groups)
        add("GET", r"/groups/\$count", self.count_groups)
        add("GET", rf"/groups/{ID}/members/\$count", self.count_members)
        add("GET", rf"/groups/{ID}/members", self.group_members)
        add("GET", rf"/groups/{ID}/members{_CAST_MEMBER}/\$count", self.count_members_cast)
        add("GET", rf"/groups/{ID}/members{_CAST_MEMBER}", self.group_members_cast)
        add("GET", rf"/groups/{ID}", self.get_group)
        add("POST", r"/groups", self.create_group)
        add("PATCH", r"/groups/(?P<id>[^/]+)", self.update_group)
        add("DELETE", r"/groups/(?P<id>[^/]+)", self.delete_group)
        add("POST", r"/groups/(?P<id>[^/]+)/members/\$ref", self.add_member)
        add("DELETE", r"/groups/(?P<id>[^/]+)/members/(?P<member>[^/]+)/\$ref", self.remove_member)

    # ----- reads -----------------------------------------------------------------------------

    def list_groups(self, req: GraphRequest) -> GraphResponse:
        """GET /groups."""
        require(req, "groups")
        return self.engine.collection_response(self.engine.specs["groups"], req, self.tenant.groups)

    def count_groups(self, req: GraphRequest) -> GraphResponse:
        """GET /groups/$count."""
        require(req, "groups")
        return self.engine.count_response(self.engine.specs["groups"], req, self.tenant.groups)

    def get_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}."""
        require(req, "groups")
        group = directory_object(self.tenant, self.engine, "groups", id)
        return self.engine.entity_response(self.engine.specs["groups"], req, group)

    def group_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/members: users and groups as typed directoryObjects."""
        require(req, "groups.members.read")
        group = directory_object(self.tenant, self.engine, "groups", id)
        items = self.engine.related(group["id"], "members")
        return self.engine.collection_response(
            self.engine.specs["users"], req, items, context="directoryObjects", typed=True
        )

    def count_members(self, req: GraphRequest, id: str) -> GraphResponse:
        """GET /groups/{id}/members/$count."""
        require(req, "groups.members.read")
        group = directory_object(self.tenant, self.engine, "groups", id)
        items = self.engine.related(group["id"], "members")
        return self.engine.count_response(self.engine.specs["users"], req, items)

    def group_members_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/members/microsoft.graph.user (or .group): one member type."""
        require(req, "groups.members.read")
        group = directory_object(self.tenant, self.engine, "groups", id)
        items = self.engine.related(group["id"], "members")
        return cast_list(self.engine, req, items, cast)

    def count_members_cast(self, req: GraphRequest, id: str, cast: str) -> GraphResponse:
        """GET /groups/{id}/members/microsoft.graph.user/$count (or .group)."""
        require(req, "groups.members.read")
        group = directory_object(self.tenant, self.engine, "groups", id)
        return cast_count(self.engine, req, self.engine.related(group["id"], "members"), cast)

    # ----- writes ----------------------------------------------------------------------------

    def create_group(self, req: GraphRequest) -> GraphResponse:
        """POST /groups: 201 with the group's default properties, or Graph's 400s."""
        require(req, "groups.create")
        spec = self.engine.specs["groups"]
        body = json_object(req)
        links = take_links(self.tenant, self.engine, body)
        check_declared(body, spec.properties)
        for prop in _GROUP_REQUIRED:
            if body.get(prop) is None or body.get(prop) == "":
                raise bad_request(ge.PROPERTY_REQUIRED.format(prop=prop))
        _check_group_values(body)
        check_new(self.tenant, "", links)
        group = self._new_group(spec.properties, body)
        self.tenant.add_group(group)
        apply_links(self.tenant, group["id"], links)
        head = {"@odata.context": context_url(req, "groups", entity=True)}
        return json_response({**head, **project(spec, group, ())}, 201)

    def _new_group(self, properties: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
        """The stored group for a validated POST body: every property a generated group has,
        the body's writable ones, and what the directory sets itself (id, dates, addresses)."""
        group_id = self.ids.new_id()
        created = self.clock_iso() + "Z"
        group: dict[str, Any] = dict.fromkeys(properties)
        group.update(fresh("groups"))
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
                "proxyAddresses": (
                    _proxy_addresses(mail, self.tenant.options.identity.initial_domain)
                    if mail
                    else []
                ),
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
        domain = self.tenant.options.identity.domain
        mail = f"{nick}@{domain}"
        if mail.lower() in taken or self.tenant.find_user(mail) is not None:
            digits = int(hashlib.sha256(group_id.encode()).hexdigest()[:8], 16) % 9000 + 1000
            mail = f"{nick}{digits}@{domain}"
        return mail

    def update_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /groups/{id}: 204; omitted (and read-only) properties stay as they were."""
        require(req, "groups.write")
        group = directory_object(self.tenant, self.engine, "groups", id)
        body = json_object(req)
        links = take_links(self.tenant, self.engine, body)
        check_declared(body, self.engine.specs["groups"].properties)
        if "displayName" in body and not body["displayName"]:
            raise invalid_value("displayName", "Group")
        _check_group_values(body)
        check_new(self.tenant, group["id"], links)
        for key, value in body.items():
            if key in group and key not in _GROUP_READ_ONLY:
                group[key] = value
        apply_links(self.tenant, group["id"], links)
        self.tenant.touch(group["id"])
        self.engine.projector.forget(group["id"])
        return GraphResponse(204, b"", None)

    def delete_group(self, req: GraphRequest, id: str) -> GraphResponse:
        """DELETE /groups/{id}: 204; the group leaves /groups and its members' memberOf."""
        require(req, "groups.delete")
        group = directory_object(self.tenant, self.engine, "groups", id)
        self.tenant.remove_group(group)
        self.engine.projector.forget(group["id"])
        return GraphResponse(204, b"", None)

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


def _proxy_addresses(mail: str, initial_domain: str) -> list[str]:
    """A Microsoft 365 group's addresses: its mail, primary, and the same alias on the
    initial domain, as generated groups have."""
    return [f"SMTP:{mail}", f"smtp:{mail.partition('@')[0]}@{initial_domain}"]


def _check_group_values(body: dict[str, Any]) -> None:
    """The values Graph checks on a group write: booleans, the display name's type and length,
    the mail nickname's characters, and groupTypes as a list of names."""
    for prop in _GROUP_BOOLEANS:
        if prop in body and not isinstance(body[prop], bool):
            raise invalid_value(prop, "Group")
    name = body.get("displayName")
    if name is not None and (not isinstance(name, str) or len(name) > 256):
        raise invalid_value("displayName", "Group")
    nick = body.get("mailNickname")
    if nick is not None and (
        not isinstance(nick, str) or not nick.isascii() or not _MAIL_NICKNAME.match(nick)
    ):
        raise invalid_value("mailNickname", "Group")
    types = body.get("groupTypes")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise invalid_value("groupTypes", "Group")
