"""Graph's write routes: create, update and delete users, assign licenses, invite guests.

Group, membership and device writes live in :mod:`directory_writes`; :class:`Writes` registers
them too and lends them its id source.

Validation follows Graph's order and texts: required properties first, then values, then
conflicts, each a 400 ``Request_BadRequest`` with Graph's message (and ``details`` where Graph
sends them). Successful writes answer 201 with the object, or 204 with no body, and record the
change for delta and drop cached projections.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from graph_magic.sandbox import graph_errors as ge
from graph_magic.sandbox.data import INITIAL_DOMAIN, SKUS
from graph_magic.sandbox.directory_writes import DirectoryWrites
from graph_magic.sandbox.graph_errors import GraphError, bad_request, not_found
from graph_magic.sandbox.query import USER_SPEC, Engine, context_url, project
from graph_magic.sandbox.resources import key_of, require
from graph_magic.sandbox.routing import GraphRequest, GraphResponse, Router, json_response

_REQUIRED = (
    "accountEnabled",
    "displayName",
    "mailNickname",
    "passwordProfile",
    "userPrincipalName",
)
_UPN_LOCAL = re.compile(r"^[A-Za-z0-9'.\-_!#^~]+$")
_READ_ONLY = frozenset({"id", "createdDateTime", "deletedDateTime", "assignedLicenses"})
_SKU_IDS = frozenset(s[0] for s in SKUS)


class Writes:
    """The write handlers of one tenant. Ids of new objects derive from the seed and a counter."""

    def __init__(self, tenant: Any, engine: Engine, clock_iso: Any) -> None:
        self.tenant = tenant
        self.engine = engine
        self.clock_iso = clock_iso
        self._serial = 0
        self.directory = DirectoryWrites(tenant, engine, clock_iso, self.new_id)

    def register(self, router: Router) -> None:
        """Add the write routes (users and invitations here, then groups and devices)."""
        router.add("POST", r"/users", self.create_user)
        router.add("PATCH", r"/users/(?P<id>[^/]+)", self.update_user)
        router.add("DELETE", r"/users/(?P<id>[^/]+)", self.delete_user)
        router.add("POST", r"/users/(?P<id>[^/]+)/assignLicense", self.assign_license)
        router.add("POST", r"/invitations", self.invite)
        self.directory.register(router)

    def new_id(self) -> str:
        """A deterministic GUID for a created object (seed + creation counter)."""
        self._serial += 1
        h = hashlib.sha256(f"{self.tenant.seed}:object:{self._serial}".encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def _body(self, req: GraphRequest) -> dict[str, Any]:
        body = req.json_body()
        if not isinstance(body, dict):
            raise bad_request("One or more properties contains invalid values.")
        return body

    def _user(self, raw_id: str) -> dict[str, Any]:
        key = key_of(raw_id)
        user = self.tenant.find_user(key)
        if user is None:
            raise not_found(key)
        return user

    def _changed(self, user_id: str) -> None:
        self.tenant.touch(user_id)
        self.engine.projector.forget(user_id)

    # ----- users -----------------------------------------------------------------------------

    def create_user(self, req: GraphRequest) -> GraphResponse:
        """POST /users: 201 with the new user, or Graph's validation 400s."""
        require(req, "users.write")
        body = self._body(req)
        for prop in _REQUIRED:
            value = body.get(prop)
            if value is None or value == "" or value == {}:
                raise bad_request(ge.PROPERTY_REQUIRED.format(prop=prop))
        upn = body["userPrincipalName"]
        local, at, domain = str(upn).rpartition("@")
        if (
            not isinstance(upn, str)
            or not at
            or not _UPN_LOCAL.match(local)
            or domain.lower() not in (self.tenant.domain, INITIAL_DOMAIN)
        ):
            raise GraphError(
                400,
                "Request_BadRequest",
                ge.INVALID_VALUE.format(prop="userPrincipalName", resource="User"),
                details=[{"code": "InvalidValue", "target": "userPrincipalName"}],
            )
        nick = body["mailNickname"]
        if not isinstance(nick, str) or not _UPN_LOCAL.match(nick) or "@" in nick:
            raise GraphError(
                400,
                "Request_BadRequest",
                ge.INVALID_VALUE.format(prop="mailNickname", resource="User"),
                details=[{"code": "InvalidValue", "target": "mailNickname"}],
            )
        if self.tenant.find_user(upn) is not None:
            raise GraphError(
                400,
                "Request_BadRequest",
                ge.DUPLICATE_UPN,
                details=[{"target": "userPrincipalName", "code": "ObjectConflict"}],
            )
        user: dict[str, Any] = {p: None for p in USER_SPEC.properties}
        user.update(
            {
                "businessPhones": [],
                "assignedLicenses": [],
                "assignedPlans": [],
                "identities": [],
                "imAddresses": [],
                "otherMails": [],
                "proxyAddresses": [],
                "userType": "Member",
            }
        )
        for key, value in body.items():
            if key in USER_SPEC.properties and key not in _READ_ONLY:
                user[key] = value
        user["id"] = self.new_id()
        user["createdDateTime"] = self.clock_iso() + "Z"
        user["mail"] = body.get("mail")
        self.tenant.add_user(user)
        head = {"@odata.context": context_url(req, "users", entity=True)}
        return json_response({**head, **project(USER_SPEC, user, ())}, 201)

    def update_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """PATCH /users/{id}: 204; omitted properties stay as they were."""
        require(req, "users.write")
        user = self._user(id)
        body = self._body(req)
        for key in body:
            if key not in USER_SPEC.properties and key != "passwordProfile":
                raise bad_request(ge.UNDECLARED_PROPERTY.format(prop=key))
        if "displayName" in body and not body["displayName"]:
            raise bad_request(ge.INVALID_VALUE.format(prop="displayName", resource="User"))
        new_upn = body.get("userPrincipalName")
        if new_upn and new_upn.lower() != user["userPrincipalName"].lower():
            if self.tenant.find_user(new_upn) is not None:
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    ge.DUPLICATE_UPN,
                    details=[{"target": "userPrincipalName", "code": "ObjectConflict"}],
                )
            self.tenant.rename_upn(user, new_upn)
        for key, value in body.items():
            if key in USER_SPEC.properties and key not in _READ_ONLY | {"userPrincipalName"}:
                user[key] = value
        self._changed(user["id"])
        return GraphResponse(204, b"", None)

    def delete_user(self, req: GraphRequest, id: str) -> GraphResponse:
        """DELETE /users/{id}: 204; delta then reports it @removed (soft delete)."""
        require(req, "users.write")
        user = self._user(id)
        self.tenant.remove_user(user)
        self.engine.projector.forget(user["id"])
        return GraphResponse(204, b"", None)

    def assign_license(self, req: GraphRequest, id: str) -> GraphResponse:
        """POST /users/{id}/assignLicense: 200 with the user; needs a usageLocation."""
        require(req, "users.write")
        user = self._user(id)
        body = self._body(req)
        add = body.get("addLicenses")
        remove = body.get("removeLicenses")
        if not isinstance(add, list) or not isinstance(remove, list):
            raise bad_request("One or more properties contains invalid values.")
        if add and not user.get("usageLocation"):
            raise bad_request(ge.INVALID_USAGE_LOCATION)
        licenses = [lic for lic in user["assignedLicenses"] if lic["skuId"] not in remove]
        for lic in add:
            sku = str(lic.get("skuId", "")).lower() if isinstance(lic, dict) else ""
            if sku not in _SKU_IDS:
                raise bad_request(
                    f"Subscription with SKU {sku} does not exist for the tenant.",
                )
            licenses = [x for x in licenses if x["skuId"] != sku]
            licenses.append({"disabledPlans": list(lic.get("disabledPlans") or []), "skuId": sku})
        user["assignedLicenses"] = licenses
        self._changed(user["id"])
        head = {"@odata.context": context_url(req, "users", entity=True)}
        return json_response({**head, **project(USER_SPEC, user, ())})

    # ----- invitations -----------------------------------------------------------------------

    def invite(self, req: GraphRequest) -> GraphResponse:
        """POST /invitations: 201 and a Guest user in /users; needs User.Invite.All."""
        require(req, "invitations")
        body = self._body(req)
        for prop in ("invitedUserEmailAddress", "inviteRedirectUrl"):
            if not body.get(prop):
                raise bad_request(ge.PROPERTY_REQUIRED.format(prop=prop), code="BadRequest")
        email = str(body["invitedUserEmailAddress"])
        if "@" not in email:
            raise bad_request("The invited user email address is invalid.", code="BadRequest")
        upn = email.replace("@", "_") + f"#EXT#@{INITIAL_DOMAIN}"
        guest = self.tenant.find_user(upn)
        if guest is None:
            guest = {p: None for p in USER_SPEC.properties}
            guest.update(
                {
                    "id": self.new_id(),
                    "displayName": body.get("invitedUserDisplayName") or email.split("@")[0],
                    "mail": email,
                    "userPrincipalName": upn,
                    "userType": "Guest",
                    "externalUserState": "PendingAcceptance",
                    "creationType": "Invitation",
                    "accountEnabled": True,
                    "businessPhones": [],
                    "assignedLicenses": [],
                    "assignedPlans": [],
                    "identities": [],
                    "imAddresses": [],
                    "otherMails": [email],
                    "proxyAddresses": [],
                    "createdDateTime": self.clock_iso() + "Z",
                }
            )
            self.tenant.add_user(guest)
        invitation_id = self.new_id()
        answer = {
            "@odata.context": context_url(req, "invitations", entity=True),
            "id": invitation_id,
            "inviteRedeemUrl": "https://login.microsoftonline.com/redeem?rd=https%3a%2f%2f"
            f"invitations.microsoft.com%2fredeem%2f%3ftenant%3d{self.tenant.tenant_id}"
            f"%26user%3d{guest['id']}%26ticket%3d{invitation_id}",
            "invitedUserDisplayName": body.get("invitedUserDisplayName"),
            "invitedUserType": body.get("invitedUserType", "Guest"),
            "invitedUserEmailAddress": email,
            "sendInvitationMessage": bool(body.get("sendInvitationMessage", False)),
            "resetRedemption": bool(body.get("resetRedemption", False)),
            "inviteRedirectUrl": body["inviteRedirectUrl"],
            "status": "PendingAcceptance",
            "invitedUserMessageInfo": {
                "messageLanguage": None,
                "customizedMessageBody": None,
                "ccRecipients": [{"emailAddress": {"name": None, "address": None}}],
            },
            "invitedUser": {"id": guest["id"]},
        }
        return json_response(answer, 201)
