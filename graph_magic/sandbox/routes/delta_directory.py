"""Delta query on groups, applications and service principals: the /users/delta rounds of
:mod:`~graph_magic.sandbox.routes.delta` over another collection.

A group carries ``members@delta``: on the first round every member, on later rounds only the
members added or removed since the token (a removed one with ``@removed``), which is what
Graph's merge rule (``graph_magic.connector.delta_merge``) applies to the stored member ids.
``$select=members`` tracks only the membership; without ``$select`` members come along.
"""

from __future__ import annotations

from typing import Any

from graph_magic.sandbox.http import GraphRequest
from graph_magic.sandbox.odata.engine import project
from graph_magic.sandbox.odata.options import parse_select
from graph_magic.sandbox.routes._common import require
from graph_magic.sandbox.routes.delta import Delta

_MEMBERS = "members"
_MEMBER_REMOVED = {"reason": "deleted"}


class GroupDelta(Delta):
    """GET /groups/delta, with ``members@delta``."""

    kind = "groups"

    def authorize(self, req: GraphRequest) -> None:
        """Graph's 403 unless the token may read groups."""
        require(req, "groups")

    def _select(self, req: GraphRequest) -> list[str]:
        """The tracked properties; ``members`` (not a property) is kept as a marker."""
        raw = [p.strip() for p in req.params.get("$select", "").split(",") if p.strip()]
        members = any(p.lower() == _MEMBERS for p in raw)
        rest = ",".join(p for p in raw if p.lower() != _MEMBERS)
        params = {**req.params, "$select": rest} if raw else req.params
        picked = parse_select(
            self.engine.specs[self.kind], _with_params(req, params), collection=True
        )
        select = list(picked)
        if raw and "id" not in select:
            select.append("id")
        if not raw or members:
            select.append(_MEMBERS)
        return select

    def context_select(self, select: tuple[str, ...]) -> tuple[str, ...]:
        """No ``$select`` (members ride along by default) shows in the context as none."""
        return () if select == (_MEMBERS,) else select

    def item(
        self, row: dict[str, Any] | str, select: tuple[str, ...], state: dict[str, Any]
    ) -> Any:
        """A group as Graph's delta shows it: its properties and the members that changed."""
        if isinstance(row, str) or _MEMBERS not in select:
            return super().item(row, select, state)
        props = tuple(p for p in select if p != _MEMBERS)  # () without $select: the default
        shown = project(self.engine.specs[self.kind], row, props)
        shown["members@delta"] = self._member_changes(row["id"], state.get("since"))
        return shown

    def _member_changes(self, group_id: str, since: int | None) -> list[dict[str, Any]]:
        """Every member on a first round; afterwards each member's last change since then."""
        if since is None:
            return [self._member(m) for m in self.tenant.members.get(group_id, ())]
        last: dict[str, bool] = {}
        for version, member_id, added in self.tenant.member_changes.get(group_id, ()):
            if version > since:
                last[member_id] = added
        return [
            self._member(m) if added else {**self._member(m), "@removed": _MEMBER_REMOVED}
            for m, added in last.items()
        ]

    def _member(self, member_id: str) -> dict[str, Any]:
        obj = self.tenant.find_object(member_id)
        kind = self.engine.spec_of(obj).type_name if obj is not None else "user"
        return {"@odata.type": f"#microsoft.graph.{kind}", "id": member_id}


class ApplicationDelta(Delta):
    """GET /applications/delta."""

    kind = "applications"

    def authorize(self, req: GraphRequest) -> None:
        """Graph's 403 unless the token may read applications."""
        require(req, "applications.delta")


class ServicePrincipalDelta(ApplicationDelta):
    """GET /servicePrincipals/delta (the same permissions as applications)."""

    kind = "servicePrincipals"


def _with_params(req: GraphRequest, params: dict[str, str]) -> GraphRequest:
    """A view of ``req`` whose query options are ``params`` (for parsing a trimmed $select)."""
    view = GraphRequest(
        req.method, req.version, req.path, [], req.headers, req.body, req.origin, req.principal
    )
    view.params.update(params)
    return view
