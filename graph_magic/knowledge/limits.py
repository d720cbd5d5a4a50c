"""Graph's documented throttling limits as data: a budget table per service family.

Graph throttles each service on its own terms (Microsoft's "service-specific throttling
limits" page, as ``shared/reference/graph-semantics.md`` and ``graph-clients.md`` record it):
identity and access counts resource units per app and tenant per 10 s (S/M/L by the tenant's
size) and writes per 150 s; the identity and access reports (``/auditLogs/...``) count
requests, under one of two published tables; invitations 150 per 5 s per tenant; Outlook 10,000
requests per 10 minutes per app and mailbox; Intune and Teams per app and tenant; and so on.
The client's pacer and the sandbox's throttle both read this one table, so they agree; a
system (``limits:``) or the sandbox (``throttle_*``) only picks and scales from it.

Which family a request belongs to and what it costs is :mod:`.costs`' job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

__all__ = [
    "DEFAULT_REPORTS_TABLE",
    "FAMILIES",
    "REPORTS_TABLES",
    "TENANT_SIZES",
    "Budget",
    "Counts",
    "Limits",
    "Scope",
    "graph_limits",
    "owner_key",
    "tenant_size_of",
]

Scope = Literal["app+tenant", "tenant", "app", "app+mailbox"]
"""Whose requests share a budget: one app in one tenant, every app in a tenant, one app across
every tenant (Graph's three scopes, ``x-ms-throttle-scope``'s Tenant_Application, Tenant and
Application), or one app on one mailbox (Outlook's: a user's or a group's)."""

Counts = Literal["requests", "resource-units", "writes"]
"""What a budget counts: each request as 1, identity's resource units, or writes only."""

SCOPES: tuple[str, ...] = get_args(Scope)
COUNTS: tuple[str, ...] = get_args(Counts)


@dataclass(frozen=True)
class Budget:
    """``amount`` of what ``counts`` counts per ``window`` seconds, shared within ``scope``."""

    amount: float
    window: float
    counts: Counts = "requests"
    scope: Scope = "app+tenant"

    @property
    def rate(self) -> float:
        """Units per second: how fast a token bucket of this budget refills."""
        return self.amount / self.window

    def scaled(self, factor: float) -> Budget:
        """The same budget with ``factor`` times the amount (benchmarks run at a scaled limit)."""
        return replace(self, amount=self.amount * factor)


TENANT_SIZES: dict[str, int] = {"S": 3500, "M": 5000, "L": 8000}
"""Identity's resource units per app and tenant per 10 s, by tenant size: S under 50 users,
M 50 to 500, L over 500."""

REPORTS_TABLES: dict[str, tuple[Budget, ...]] = {
    # The page as it stands (throttling-entra-logs-reports.md): 5 per 10 s per app and tenant,
    # 122 per 10 s per app across tenants.
    "current": (Budget(5, 10.0), Budget(122, 10.0, scope="app")),
    # The older page: 1,000 per 20 s per app and tenant, 2,000 per 20 s per tenant.
    "legacy": (Budget(1000, 20.0), Budget(2000, 20.0, scope="tenant")),
}
"""The two published tables for the identity and access reports (sign-ins, audits,
provisioning): Graph's documentation has said both, and which one a tenant sees varies."""

DEFAULT_REPORTS_TABLE = "current"

_IDENTITY_WRITES = (
    Budget(3000, 150.0, counts="writes"),
    Budget(150_000, 20.0, counts="resource-units", scope="app"),
    Budget(18_000, 300.0, counts="writes", scope="tenant"),
)

_OTHER_FAMILIES: dict[str, tuple[Budget, ...]] = {
    "invitations": (Budget(150, 5.0, scope="tenant"),),
    "identity-protection": (Budget(1, 1.0, scope="tenant"),),
    "usage-reports": (Budget(14, 600.0), Budget(40, 600.0, scope="tenant")),
    "service-communications": (Budget(240, 60.0), Budget(800, 3600.0)),
    # Outlook (mail, calendar, contacts, photos, people, to-do): per app and mailbox.
    "outlook": (Budget(10_000, 600.0, scope="app+mailbox"),),
    # Intune (/deviceManagement, /deviceAppManagement): the table most of its areas publish.
    "intune": (
        Budget(2000, 20.0),
        Budget(4000, 20.0, scope="tenant"),
        Budget(200, 20.0, counts="writes"),
        Budget(400, 20.0, counts="writes", scope="tenant"),
    ),
    # Teams: the "other API calls" rows, 30 per second per app and tenant, 300 across tenants.
    "teams": (Budget(30, 1.0), Budget(300, 1.0, scope="app")),
    "global": (Budget(130_000, 10.0, scope="app"),),
}

FAMILIES: tuple[str, ...] = ("identity", "reports", *_OTHER_FAMILIES)
"""Every service family the table knows; a request of no other family is ``global``."""


@dataclass(frozen=True)
class Limits:
    """The budgets of every family: what the pacer and the sandbox's throttle enforce."""

    families: Mapping[str, tuple[Budget, ...]]
    reports_table: str = DEFAULT_REPORTS_TABLE
    tenant_size: str = "S"

    def budgets(self, family: str) -> tuple[Budget, ...]:
        """The budgets a request of ``family`` is charged against (``global``'s if unknown)."""
        found = self.families.get(family)
        return found if found is not None else self.families["global"]

    def first(self, family: str) -> Budget:
        """The family's main budget (per app and tenant where there is one): the bound a
        scan of that family is estimated against."""
        return self.budgets(family)[0]


def graph_limits(
    *,
    reports_table: str = DEFAULT_REPORTS_TABLE,
    tenant_size: str = "S",
    scale: float = 1.0,
    identity_units: float | None = None,
    overrides: Mapping[str, Budget] | None = None,
) -> Limits:
    """Graph's limits with the reports table and tenant size picked, scaled by ``scale``.

    ``identity_units`` replaces the tenant size's resource units per 10 s; ``overrides``
    replaces a family's main budget (its first), keeping the others. Raises ValueError naming
    an unknown table, size or family.
    """
    if reports_table not in REPORTS_TABLES:
        raise ValueError(f"unknown reports table {reports_table!r}: {_one_of(REPORTS_TABLES)}")
    if tenant_size not in TENANT_SIZES:
        raise ValueError(f"unknown tenant size {tenant_size!r}: {_one_of(TENANT_SIZES)}")
    units = TENANT_SIZES[tenant_size] if identity_units is None else identity_units
    families: dict[str, tuple[Budget, ...]] = {
        "identity": (Budget(units, 10.0, counts="resource-units"), *_IDENTITY_WRITES),
        "reports": REPORTS_TABLES[reports_table],
        **_OTHER_FAMILIES,
    }
    for family, budget in (overrides or {}).items():
        if family not in families:
            raise ValueError(f"unknown service family {family!r}: {_one_of(families)}")
        families[family] = (budget, *families[family][1:])
    if scale != 1.0:
        families = {f: tuple(b.scaled(scale) for b in bs) for f, bs in families.items()}
    return Limits(families, reports_table=reports_table, tenant_size=tenant_size)


def owner_key(budget: Budget, *, app: str, tenant: str, mailbox: str | None = None) -> str:
    """Whose bucket a request of ``app`` in ``tenant`` (on ``mailbox``, for Outlook) is
    charged to under ``budget``: the part of the bucket's key its scope keeps."""
    if budget.scope == "tenant":
        return f"tenant:{tenant}"
    if budget.scope == "app":
        return f"app:{app}"
    if budget.scope == "app+mailbox":
        return f"{tenant}/{app}/mailbox:{(mailbox or '').lower()}"
    return f"{tenant}/{app}"


def tenant_size_of(users: int) -> str:
    """Graph's size class of a tenant with ``users`` users: S, M or L."""
    if users < 50:
        return "S"
    return "M" if users <= 500 else "L"


def _one_of(names: Mapping[str, object]) -> str:
    return "one of " + ", ".join(names)
