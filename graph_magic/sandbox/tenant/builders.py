"""The table of the tenant's collections: which generator makes each one, from what.

The tenant makes a collection the first time it is read, with the builder registered for it
here, so a first request for ``/users`` does not pay for 2,000 sign-ins it never shows. A
builder reads the collections it draws from through ``get`` (which makes them first, if need
be) and returns its own, in the order of ``provides``. Every generator draws from its own seeded
stream (``{seed}:users``, ``{seed}:signins``, ...), so the order in which collections are made
changes no byte of any of them; and the app has the tenant make every collection still missing
before the first write (``Tenant.settle``), so a builder never reads data a write has changed.
A new collection is one more entry in :data:`BUILDERS`, read as ``tenant.NAME`` (annotate it
on ``Tenant``). A pass that completes another collection's objects (credentials on the apps)
runs inside that collection's builder, so nothing reads them unfinished. Its spec goes in the
engine's ``SPEC_MAKERS`` (or is made on a route's first request); a route class that read a
collection when the app is built would make it, and all it draws from, for every first cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.tenant import properties
from graph_magic.sandbox.tenant.generate import make_groups, make_users
from graph_magic.sandbox.tenant.generate_assets import make_apps, make_devices, make_skus
from graph_magic.sandbox.tenant.generate_directory import make_directory_core
from graph_magic.sandbox.tenant.generate_logs import make_audits, make_sign_ins
from graph_magic.sandbox.tenant.generate_provisioning import make_provisioning
from graph_magic.sandbox.tenant.generate_security import (
    add_credentials,
    add_guest_state,
    make_security,
    mark_risky_sign_ins,
)

Get = Callable[[str], Any]
"""The tenant's accessor for another collection by attribute name (made first if missing)."""


@dataclass(frozen=True)
class Builder:
    """How one group of tenant attributes is made.

    ``provides`` names the tenant attributes ``make`` returns, in order (a collection and the
    relationships drawn with it, such as groups with their members). ``directory`` names those
    holding directory objects, which the tenant indexes by id for ``find_object``.
    """

    provides: tuple[str, ...]
    make: Callable[[SandboxOptions, Get], Sequence[Any]]
    directory: tuple[str, ...] = ()


def _users(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """The users and their managers; guests get their invitation state at once."""
    users, manager_of = make_users(o.seed, o.users)
    add_guest_state(o.seed, users)
    return users, manager_of


def _groups(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """The groups with their members, each with Graph's full property set."""
    groups, members, member_of = make_groups(o.seed, o.groups, get("users"))
    properties.complete("groups", groups)
    return groups, members, member_of


def _devices(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """The devices with their registered owners, each with Graph's full property set."""
    devices, owners = make_devices(o.seed, o.devices, get("users"))
    properties.complete("devices", devices)
    return devices, owners


def _apps(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """App registrations and service principals, with their credentials, then the rest of
    Graph's properties (in that order: it is the order of their keys in every answer)."""
    applications, service_principals = make_apps(o.seed)
    add_credentials(o.seed, applications, service_principals)
    properties.complete("applications", applications)
    properties.complete("servicePrincipals", service_principals)
    return applications, service_principals


def _directory_core(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """The organization, the activated directory roles and their members, group owners."""
    core = make_directory_core(o.seed, get("users"), get("groups"))
    return core.organization, core.directory_roles, core.role_members, core.group_owners


def _sign_ins(o: SandboxOptions, get: Get) -> Sequence[Any]:
    """The sign-ins, a few of them marked risky at once."""
    sign_ins = make_sign_ins(o.seed, o.sign_ins, get("users"))
    mark_risky_sign_ins(o.seed, sign_ins)
    return (sign_ins,)


BUILDERS: tuple[Builder, ...] = (
    Builder(("users", "manager_of"), _users, directory=("users",)),
    Builder(("groups", "members", "member_of"), _groups, directory=("groups",)),
    Builder(("devices", "device_owners"), _devices, directory=("devices",)),
    Builder(
        ("applications", "service_principals"),
        _apps,
        directory=("applications", "service_principals"),
    ),
    Builder(("subscribed_skus",), lambda o, get: (make_skus(o.seed, get("users")),)),
    Builder(("sign_ins",), _sign_ins),
    Builder(
        ("directory_audits",),
        lambda o, get: (
            make_audits(
                o.seed, o.directory_audits, get("users"), get("groups"), get("applications")
            ),
        ),
    ),
    Builder(
        ("provisioning",),
        lambda o, get: (
            make_provisioning(
                o.seed, o.provisioning_events, get("users"), get("service_principals")
            ),
        ),
    ),
    Builder(
        ("organization", "directory_roles", "role_members", "group_owners"),
        _directory_core,
        directory=("directory_roles",),
    ),
    Builder(
        ("security",),
        lambda o, get: (
            make_security(
                o.seed, get("users"), get("groups"), get("service_principals"), get("sign_ins")
            ),
        ),
    ),
)
"""Every collection of the tenant. Register a new one here; read it as ``tenant.NAME``."""


def by_attribute(builders: Sequence[Builder] = BUILDERS) -> dict[str, Builder]:
    """Each provided attribute's builder; a name provided twice is a programming error."""
    found: dict[str, Builder] = {}
    for builder in builders:
        for name in builder.provides:
            if name in found:
                raise ValueError(f"two builders provide tenant.{name}")
            found[name] = builder
    return found
