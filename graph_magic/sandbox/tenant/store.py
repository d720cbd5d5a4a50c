"""The live tenant: its collections, the indexes that make lookups O(1), and the change log.

:class:`Tenant` makes each collection the first time it is read (with the builder
:mod:`~graph_magic.sandbox.tenant.builders` registers for it) and keeps what writes change
since. Writes call its methods so indexes, memberships and the change log (which delta queries
read) stay consistent.
"""

from __future__ import annotations

import gc
import threading
from typing import TYPE_CHECKING, Any

from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.tenant.builders import BUILDERS, Builder, by_attribute
from graph_magic.sandbox.tenant.identity import renamer

if TYPE_CHECKING:
    from graph_magic.sandbox.tenant.generate_security import Security

_COLLECT_FROM = 20_000
"""From this many objects made at once, one full collection untracks them right away."""

_BUILDER_OF = by_attribute()


class Tenant:
    """One seeded directory: users, groups, devices, apps, SKUs, audit logs and the security
    tables, plus changes.

    Collections are plain lists of full objects (dicts, the stored shape, not a projection),
    made on first read: ``tenant.sign_ins`` generates the sign-ins (and the users they draw
    from) then, and is a plain attribute from then on. :meth:`settle` makes every collection
    still missing; the app calls it before the first write, so none is ever drawn from data a
    write changed and the same seed gives the same bytes whatever order requests read the
    collections in.
    Generated users hold tuples, not lists, and dicts of plain values: once the collector has
    seen them they are untracked, so a 200,000-user tenant does not slow every later full
    garbage collection (JSON writes tuples as arrays, filters read both alike);
    indexes by id and lower-case UPN make lookups O(1). ``version`` counts writes; delta reads
    ``changed_at`` (user id -> version of its last change) and ``removed`` (id -> version).
    """

    users: list[dict[str, Any]]
    manager_of: dict[str, str]
    groups: list[dict[str, Any]]
    members: dict[str, list[str]]
    member_of: dict[str, Any]
    devices: list[dict[str, Any]]
    device_owners: dict[str, list[str]]
    applications: list[dict[str, Any]]
    service_principals: list[dict[str, Any]]
    subscribed_skus: list[dict[str, Any]]
    sign_ins: list[dict[str, Any]]
    directory_audits: list[dict[str, Any]]
    provisioning: list[dict[str, Any]]
    security: Security
    organization: list[dict[str, Any]]
    directory_roles: list[dict[str, Any]]
    role_members: dict[str, list[str]]
    group_owners: dict[str, list[str]]

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.seed = options.seed
        self.version = 0
        self.changed_at: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        self.removed_kinds: dict[str, str] = {}
        """Removed object id -> its collection, for ids not of users (delta per collection)."""
        self.member_changes: dict[str, list[tuple[int, str, bool]]] = {}
        """Group id -> (version, member id, added?) of each membership write, for members@delta."""
        self._by_id: dict[str, dict[str, Any]] = {}
        self._by_upn: dict[str, dict[str, Any]] = {}
        self._pending: list[Builder] = list(BUILDERS)
        self._making = threading.RLock()  # re-entered: a builder reads what it draws from

    def __getattr__(self, name: str) -> Any:
        """A collection not made yet: make it (only called for attributes not set)."""
        builder = _BUILDER_OF.get(name)
        if builder is not None and "_making" in self.__dict__:
            self._make([builder])
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"'Tenant' object has no attribute '{name}'")

    def _make(self, builders: list[Builder]) -> None:
        """Make those of ``builders`` still pending. One at a time: token endpoints look users
        up from msal's threads while a Graph request may be making them on the loop's."""
        with self._making:
            for builder in builders:
                if builder in self._pending:
                    self._build(builder)

    def _build(self, builder: Builder) -> None:
        """Make one builder's attributes and index its directory objects (collector paused:
        generating only allocates, and collecting would rescan it all repeatedly)."""
        self._pending.remove(builder)  # first: a builder reading its own output fails loudly
        collecting = gc.isenabled()
        gc.disable()
        try:
            made = builder.make(self.options, lambda name: getattr(self, name))
        finally:
            if collecting:
                gc.enable()
        rename = renamer(self.options.identity)
        if rename is not None:  # another tenant than Contoso: the same data under its names
            made = rename(tuple(made))
        for name, value in zip(builder.provides, made, strict=True):
            setattr(self, name, value)
        for name in builder.directory:
            for obj in getattr(self, name):
                self._by_id[obj["id"]] = obj
        if "users" in builder.provides:
            self._by_upn = {u["userPrincipalName"].lower(): u for u in self.users}
        if sum(len(v) for v in made if isinstance(v, list | dict)) >= _COLLECT_FROM:
            gc.collect()  # once now, untracking the atomic objects, rather than mid-request

    def settle(self) -> None:
        """Make every collection not made yet (before the first write changes what they are
        drawn from)."""
        self._make(list(BUILDERS))

    # ----- lookups -------------------------------------------------------------------------

    def collection(self, kind: str) -> list[dict[str, Any]]:
        """The stored list of a directory collection by its Graph name (``servicePrincipals``)."""
        return {
            "users": self.users,
            "groups": self.groups,
            "devices": self.devices,
            "applications": self.applications,
            "servicePrincipals": self.service_principals,
        }[kind]

    def find_user(self, id_or_upn: str) -> dict[str, Any] | None:
        """The user with this object id or userPrincipalName (case-insensitive), or None."""
        self._make([_BUILDER_OF["users"]])
        found = self._by_id.get(id_or_upn)
        if found is not None and "userPrincipalName" in found:
            return found
        return self._by_upn.get(id_or_upn.lower())

    def roles_held(self, object_id: str) -> list[str]:
        """The ids of the directory roles ``object_id`` holds (roles do not nest)."""
        return [r for r, holders in self.role_members.items() if object_id in holders]

    def find_object(self, object_id: str) -> dict[str, Any] | None:
        """Any directory object (user, group, device, application, servicePrincipal) by id."""
        found = self._by_id.get(object_id)
        if found is None and any(builder.directory for builder in self._pending):
            self._make([builder for builder in BUILDERS if builder.directory])
            found = self._by_id.get(object_id)
        return found

    # ----- writes (used by the routes) ---------------------------------------------------------

    def add_user(self, user: dict[str, Any]) -> None:
        """Store a new user and record the change for delta."""
        self.users.append(user)
        self._by_id[user["id"]] = user
        self._by_upn[user["userPrincipalName"].lower()] = user
        self.touch(user["id"])

    def rename_upn(self, user: dict[str, Any], new_upn: str) -> None:
        """Keep the UPN index right when a PATCH changes userPrincipalName."""
        self._by_upn.pop(user["userPrincipalName"].lower(), None)
        user["userPrincipalName"] = new_upn
        self._by_upn[new_upn.lower()] = user

    def remove_user(self, user: dict[str, Any]) -> None:
        """Delete a user (Graph's soft delete) and drop it from groups and manager links."""
        self.users.remove(user)
        self._by_id.pop(user["id"], None)
        self._by_upn.pop(user["userPrincipalName"].lower(), None)
        for group_id in self.member_of.pop(user["id"], []):
            self.members[group_id].remove(user["id"])
        self.manager_of.pop(user["id"], None)
        for holders in (*self.group_owners.values(), *self.role_members.values()):
            if user["id"] in holders:
                holders.remove(user["id"])
        for report_id in [k for k, v in self.manager_of.items() if v == user["id"]]:
            del self.manager_of[report_id]
        self.version += 1
        self.changed_at.pop(user["id"], None)
        self.removed[user["id"]] = self.version

    def add_group(self, group: dict[str, Any]) -> None:
        """Store a new group, with no members or owners yet."""
        self.add_object("groups", group)
        self.members[group["id"]] = []
        self.group_owners[group["id"]] = []

    def add_object(self, kind: str, obj: dict[str, Any]) -> None:
        """Store a new object of a directory collection and record the change for delta."""
        self.collection(kind).append(obj)
        self._by_id[obj["id"]] = obj
        self.touch(obj["id"])

    def remove_object(self, kind: str, obj: dict[str, Any]) -> None:
        """Delete an application or service principal (Graph's soft delete, seen by delta)."""
        self.collection(kind).remove(obj)
        self._by_id.pop(obj["id"], None)
        self._removed(kind, obj["id"])

    def _removed(self, kind: str, object_id: str) -> None:
        self.version += 1
        self.changed_at.pop(object_id, None)
        self.removed[object_id] = self.version
        self.removed_kinds[object_id] = kind

    def remove_group(self, group: dict[str, Any]) -> None:
        """Delete a group: its members no longer list it in memberOf, and the groups it was a
        member of no longer list it in members."""
        group_id = group["id"]
        self.groups.remove(group)
        self._by_id.pop(group_id, None)
        for member_id in self.members.pop(group_id, []):
            self._leave(member_id, group_id)
        self.group_owners.pop(group_id, None)
        self._unlink(group_id)
        self._removed("groups", group_id)

    def remove_device(self, device: dict[str, Any]) -> None:
        """Delete a device, with its registered owners and any group membership."""
        self.devices.remove(device)
        self._by_id.pop(device["id"], None)
        self.device_owners.pop(device["id"], None)
        self._unlink(device["id"])

    def add_member(self, group_id: str, member_id: str) -> None:
        """Make ``member_id`` a direct member of ``group_id`` (members and memberOf alike)."""
        self.members.setdefault(group_id, []).append(member_id)
        self.member_of[member_id] = (*self.member_of.get(member_id, ()), group_id)
        self.touch(group_id)  # group delta reports the membership change (members@delta)
        self.member_changes.setdefault(group_id, []).append((self.version, member_id, True))

    def remove_member(self, group_id: str, member_id: str) -> None:
        """Take ``member_id`` out of ``group_id``'s direct members (members and memberOf)."""
        self.members[group_id].remove(member_id)
        self._leave(member_id, group_id)
        self.touch(group_id)
        self.member_changes.setdefault(group_id, []).append((self.version, member_id, False))

    def _leave(self, member_id: str, group_id: str) -> None:
        """The memberOf side of a removed membership (kept as a tuple, like generated ones)."""
        rest = tuple(g for g in self.member_of.get(member_id, ()) if g != group_id)
        if rest:
            self.member_of[member_id] = rest
        else:
            self.member_of.pop(member_id, None)

    def _unlink(self, object_id: str) -> None:
        """Take a deleted object out of every group it was a direct member of."""
        for group_id in self.member_of.pop(object_id, ()):
            self.members[group_id].remove(object_id)

    def touch(self, object_id: str) -> None:
        """Record that an object changed now (delta returns it after older tokens)."""
        self.version += 1
        self.changed_at[object_id] = self.version
