"""The live tenant: its collections, the indexes that make lookups O(1), and the change log.

:class:`Tenant` holds what :func:`~graph_magic.sandbox.tenant.generate.generate` made and what
writes change since. Writes call its methods so indexes, memberships and the change log (which
delta queries read) stay consistent.
"""

from __future__ import annotations

from typing import Any

from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.tenant import properties
from graph_magic.sandbox.tenant.generate import generate
from graph_magic.sandbox.tenant.generate_directory import make_directory_core
from graph_magic.sandbox.tenant.generate_security import make_security


class Tenant:
    """One seeded directory: users, groups, devices, apps, SKUs and audit logs, plus changes.

    Collections are plain lists of full objects (dicts, the stored shape, not a projection).
    Generated users hold tuples, not lists, and dicts of plain values: once the collector has
    seen them they are untracked, so a 200,000-user tenant does not slow every later full
    garbage collection (JSON writes tuples as arrays, filters read both alike);
    indexes by id and lower-case UPN make lookups O(1). ``version`` counts writes; delta reads
    ``changed_at`` (user id -> version of its last change) and ``removed`` (id -> version).
    """

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.seed = options.seed
        self.version = 0
        self.changed_at: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        made = generate(options)
        self.users: list[dict[str, Any]] = made.users
        self.manager_of: dict[str, str] = made.manager_of
        self.member_of: dict[str, Any] = made.member_of
        self.groups: list[dict[str, Any]] = made.groups
        self.members: dict[str, list[str]] = made.members
        self.devices: list[dict[str, Any]] = made.devices
        self.device_owners: dict[str, list[str]] = made.device_owners
        self.applications: list[dict[str, Any]] = made.applications
        self.service_principals: list[dict[str, Any]] = made.service_principals
        self.subscribed_skus: list[dict[str, Any]] = made.subscribed_skus
        self.sign_ins: list[dict[str, Any]] = made.sign_ins
        self.directory_audits: list[dict[str, Any]] = made.directory_audits
        self.security = make_security(options.seed, made)
        for kind in ("groups", "devices", "applications", "servicePrincipals"):
            properties.complete(kind, self.collection(kind))
        core = make_directory_core(self.seed, self.users, self.groups)
        self.organization: list[dict[str, Any]] = core.organization
        self.directory_roles: list[dict[str, Any]] = core.directory_roles
        self.role_members: dict[str, list[str]] = core.role_members
        self.group_owners: dict[str, list[str]] = core.group_owners
        self.removed_kinds: dict[str, str] = {}
        self.member_changes: dict[str, list[tuple[int, str, bool]]] = {}
        """Group id -> (version, member id, added?) of each membership write, for members@delta."""
        """Removed object id -> its collection, for ids not of users (delta per collection)."""
        self._by_id: dict[str, dict[str, Any]] = {}
        for collection in (
            self.users, self.groups, self.devices, self.applications, self.service_principals,
            self.directory_roles,
        ):  # fmt: skip
            for obj in collection:
                self._by_id[obj["id"]] = obj
        self._by_upn = {u["userPrincipalName"].lower(): u for u in self.users}

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
        found = self._by_id.get(id_or_upn)
        if found is not None and "userPrincipalName" in found:
            return found
        return self._by_upn.get(id_or_upn.lower())

    def roles_held(self, object_id: str) -> list[str]:
        """The ids of the directory roles ``object_id`` holds (roles do not nest)."""
        return [r for r, holders in self.role_members.items() if object_id in holders]

    def find_object(self, object_id: str) -> dict[str, Any] | None:
        """Any directory object (user, group, device, application, servicePrincipal) by id."""
        return self._by_id.get(object_id)

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
