"""Delta query: a full round over nextLinks, then changes since a deltaLink (on users here;
``delta_directory`` sets the same rounds on groups, applications and service principals).

The tokens carry their state (tenant change version, $select, offset), signed with a
seed-derived key so a forged token is a 400. Later rounds return users changed since the token's
version and ``@removed`` entries for deletions; ``$deltatoken=latest`` returns only a deltaLink.
A deltaLink older than :data:`TOKEN_LIFETIME` by the sandbox's clock (``clock``, injectable) is
refused as Graph refuses a resync: 410 Gone ``syncStateNotFound`` with a ``Location`` to a fresh
round (an empty ``$deltatoken``), so a client can test its full resync.
Only the page being served is projected, so a 200,000-user round stays cheap per page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox._signing import Signer
from graph_magic.sandbox.graph_errors import GraphError, bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router, json_response
from graph_magic.sandbox.odata.engine import Engine, project
from graph_magic.sandbox.odata.options import context_url, parse_select
from graph_magic.sandbox.routes._common import require_user_read
from graph_magic.sandbox.tenant.store import Tenant

PAGE_SIZE = 100
_SIGNATURE_BYTES = 12
_REMOVED = {"reason": "changed"}  # DELETE is Graph's soft delete: restorable, so "changed"
TOKEN_LIFETIME = 7 * 24 * 3600.0
"""Seconds a deltaLink stays valid: Graph's directory delta tokens expire after 7 days."""
_SYNC_STATE_NOT_FOUND = "The sync state is not found or has expired; start a new delta round."


class Delta:
    """The /users/delta route of one tenant; subclasses set ``kind`` for another collection."""

    kind = "users"

    def __init__(self, tenant: Tenant, engine: Engine, clock: Callable[[], float]) -> None:
        self.tenant = tenant
        self.engine = engine
        self.clock = clock  # epoch seconds: the service's fixed clock, which tests move on
        purpose = "delta" if self.kind == "users" else f"delta:{self.kind}"
        self._signer = Signer(tenant.seed, purpose)  # one collection's token fits no other

    def register(self, router: Router) -> None:
        """Add GET /{kind}/delta (register before /{kind}/{id}, which would also match)."""
        router.add("GET", rf"/{self.kind}/delta(\(\))?", self.delta)

    def authorize(self, req: GraphRequest) -> None:
        """Graph's 403 unless the token may read the collection."""
        require_user_read(req, what="users.related")

    def delta(self, req: GraphRequest) -> GraphResponse:
        """One page of a delta round: a nextLink while more remain, else a deltaLink."""
        self.authorize(req)
        for option in ("$top", "$orderby", "$expand"):
            if option in req.params:
                raise bad_request(f"Query option '{option}' is not supported with delta.")
        state = self._state(req)
        select = tuple(state["s"])
        rows = self._rows(state)
        start = state["o"]
        value = [self.item(row, select, state) for row in rows[start : start + PAGE_SIZE]]
        context = context_url(req, self.kind, self.context_select(select))
        head: dict[str, Any] = {"@odata.context": context}
        base = _round_url(req, self.kind)
        if start + PAGE_SIZE < len(rows):
            token = self._sign({**state, "o": start + PAGE_SIZE})
            head["@odata.nextLink"] = f"{base}?$skiptoken={token}"
        else:
            token = self._sign({"v": state["v"], "s": list(select), "t": int(self.clock())})
            head["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
        return json_response({**head, "value": value})

    def _state(self, req: GraphRequest) -> dict[str, Any]:
        params = req.params
        if "$skiptoken" in params:
            return self._read(params["$skiptoken"])
        if not params.get("$deltatoken"):  # none, or the empty one of a resync Location
            return {"v": self.tenant.version, "s": self._select(req), "o": 0}
        if params["$deltatoken"].lower() == "latest":
            return {"v": self.tenant.version, "s": self._select(req), "o": 0, "since": None}
        previous = self._read(params["$deltatoken"])
        if self.clock() - previous.get("t", 0) > TOKEN_LIFETIME:
            location = f"{_round_url(req, self.kind)}?$deltatoken="
            raise GraphError(
                410, "syncStateNotFound", _SYNC_STATE_NOT_FOUND, headers={"Location": location}
            )
        return {"v": self.tenant.version, "s": previous["s"], "o": 0, "since": previous["v"]}

    def context_select(self, select: tuple[str, ...]) -> tuple[str, ...]:
        """The tracked properties as ``@odata.context`` names them."""
        return select

    def item(
        self, row: dict[str, Any] | str, select: tuple[str, ...], state: dict[str, Any]
    ) -> Any:
        """One object of the page as Graph shows it (a removed one as its id and ``@removed``)."""
        if isinstance(row, str):
            return {"id": row, "@removed": _REMOVED}
        return project(self.engine.specs[self.kind], row, select)

    def _rows(self, state: dict[str, Any]) -> list[dict[str, Any] | str]:
        """Objects (dicts) and removed ids (str) the round covers, in a stable order."""
        items = self.tenant.collection(self.kind)
        if "since" not in state:
            return items
        since = state["since"]
        if since is None:  # $deltatoken=latest: nothing, just a link from now on
            return []
        changed_at = self.tenant.changed_at
        rows: list[dict[str, Any] | str] = [o for o in items if changed_at.get(o["id"], 0) > since]
        kinds = self.tenant.removed_kinds
        rows += [
            i
            for i, version in self.tenant.removed.items()
            if version > since and kinds.get(i, "users") == self.kind
        ]
        return rows

    def _select(self, req: GraphRequest) -> list[str]:
        select = list(parse_select(self.engine.specs[self.kind], req, collection=True))
        if select and "id" not in select:
            select.append("id")  # delta always returns ids
        return select

    def _sign(self, state: dict[str, Any]) -> str:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
        return self._signer.seal(raw, _SIGNATURE_BYTES)

    def _read(self, token: str) -> dict[str, Any]:
        raw = self._signer.unseal(token, _SIGNATURE_BYTES)
        try:
            if raw is None:
                raise ValueError("bad signature")
            state = json.loads(raw)
        except ValueError as exc:
            raise bad_request("The delta token or skip token is not valid.") from exc
        return dict(state)


def _round_url(req: GraphRequest, kind: str) -> str:
    """The delta round's URL on this request's origin: its nextLink, deltaLink and resync base."""
    return f"{req.origin}/{req.version}/{kind}/delta"
