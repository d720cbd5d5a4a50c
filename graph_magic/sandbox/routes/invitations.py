"""Graph's /invitations route: inviting a guest adds a Guest user to /users.

Needs User.Invite.All; the answer carries a redeem URL naming the tenant, the guest and the
invitation, as Graph's does.
"""

from __future__ import annotations

from collections.abc import Callable

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.options import context_url
from graph_magic.sandbox.routes._common import ObjectIds, json_object, require
from graph_magic.sandbox.tenant.constants import INITIAL_DOMAIN, TENANT_ID
from graph_magic.sandbox.tenant.schema import USER_SPEC
from graph_magic.sandbox.tenant.store import Tenant


class InvitationRoutes:
    """POST /invitations for one tenant; guests and invitations take ids from ``ids``."""

    def __init__(self, tenant: Tenant, ids: ObjectIds, clock_iso: Callable[[], str]) -> None:
        self.tenant = tenant
        self.ids = ids
        self.clock_iso = clock_iso

    def register(self, router: Router) -> None:
        """Add POST /invitations."""
        router.add("POST", r"/invitations", self.invite)

    def invite(self, req: GraphRequest) -> GraphResponse:
        """POST /invitations: 201 and a Guest user in /users; needs User.Invite.All."""
        require(req, "invitations")
        body = json_object(req)
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
                    "id": self.ids.new_id(),
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
                    "externalUserStateChangeDateTime": self.clock_iso() + "Z",
                }
            )
            self.tenant.add_user(guest)
        invitation_id = self.ids.new_id()
        answer = {
            "@odata.context": context_url(req, "invitations", entity=True),
            "id": invitation_id,
            "inviteRedeemUrl": "https://login.microsoftonline.com/redeem?rd=https%3a%2f%2f"
            f"invitations.microsoft.com%2fredeem%2f%3ftenant%3d{TENANT_ID}"
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
