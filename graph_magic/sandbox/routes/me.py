"""Graph's /me routes: the signed-in user of a delegated token, served by the /users handlers.

An app-only token has no user, so /me answers it Graph's 400.
"""

from __future__ import annotations

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router
from graph_magic.sandbox.routes.users import UserRoutes

_CAST_GROUP = r"/microsoft\.graph\.(?P<cast>group)"


class MeRoutes:
    """/me, /me/manager, /me/memberOf and its group cast, /me/assignLicense, as the user's own
    routes."""

    def __init__(self, users: UserRoutes) -> None:
        self.users = users

    def register(self, router: Router) -> None:
        """Add the /me routes (the cast before the plain relationship)."""
        add = router.add
        add("GET", r"/me", self.me)
        add("GET", rf"/me/memberOf{_CAST_GROUP}/\$count", self.count_me_member_of_cast)
        add("GET", rf"/me/memberOf{_CAST_GROUP}", self.me_member_of_cast)
        add("GET", r"/me/(?P<rel>manager|memberOf)", self.me_relation)
        add("POST", r"/me/assignLicense", self.me_assign_license)

    def me(self, req: GraphRequest) -> GraphResponse:
        """/me: the signed-in user; app-only tokens get Graph's 400."""
        return self.users.get_user(req, me_id(req))

    def me_relation(self, req: GraphRequest, rel: str) -> GraphResponse:
        """/me/manager and /me/memberOf."""
        user_id = me_id(req)
        if rel.lower() == "manager":
            return self.users.user_manager(req, user_id)
        return self.users.user_member_of(req, user_id)

    def me_member_of_cast(self, req: GraphRequest, cast: str) -> GraphResponse:
        """GET /me/memberOf/microsoft.graph.group."""
        return self.users.user_member_of_cast(req, me_id(req), cast)

    def count_me_member_of_cast(self, req: GraphRequest, cast: str) -> GraphResponse:
        """GET /me/memberOf/microsoft.graph.group/$count."""
        return self.users.count_member_of_cast(req, me_id(req), cast)

    def me_assign_license(self, req: GraphRequest) -> GraphResponse:
        """POST /me/assignLicense: the signed-in user's licenses."""
        return self.users.assign_license(req, me_id(req))


def me_id(req: GraphRequest) -> str:
    """The signed-in user's id, or Graph's 400 for an app-only token (which has no user)."""
    principal = req.principal
    if principal.kind != "delegated" or not principal.user_id:
        raise bad_request(ge.ME_NEEDS_DELEGATED, code="BadRequest")
    return principal.user_id
