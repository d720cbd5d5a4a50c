"""The sandbox tenant's settings: sizes, seed, latency, faults and token lifetimes.

One frozen value built once from a dict (a system's ``sandbox:`` key or the command line), so
every part of the sandbox reads the same, already validated settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from graph_magic.knowledge.clouds import CLOUDS
from graph_magic.knowledge.limits import DEFAULT_REPORTS_TABLE, REPORTS_TABLES

if TYPE_CHECKING:
    from graph_magic.sandbox.tenant.constants import TenantIdentity

_TENANT_NAME = re.compile(r"[a-z][a-z0-9]{1,29}")

RetryAfterForm = Literal["seconds", "fractional", "http-date", "ms"]


@dataclass(frozen=True)
class FaultOptions:
    """Seeded fault injection; everything is off by default.

    ``rate_429`` / ``every_nth_429`` answer Graph requests with 429 and a Retry-After in
    ``retry_after_form`` worth ``retry_after`` seconds. ``rate_503`` / ``rate_504`` answer with
    those statuses, ``burst`` consecutive requests at a time. ``drop_rate`` closes the connection
    without an answer (served: the socket closes; in-process: httpx's RemoteProtocolError).
    ``batch_item_429_rate`` answers single $batch sub-requests with 429. ``throttle`` enables
    Graph's per-service limits as token buckets (:mod:`graph_magic.knowledge.limits`): identity
    in resource units (``throttle_units_per_10s``, else the tenant's size class), the reports in
    requests under ``throttle_reports_table``, every budget times ``throttle_scale``. Token
    endpoints are never faulted.
    """

    rate_429: float = 0.0
    every_nth_429: int = 0
    retry_after: float = 1.0
    retry_after_form: RetryAfterForm = "seconds"
    rate_503: float = 0.0
    rate_504: float = 0.0
    burst: int = 1
    drop_rate: float = 0.0
    batch_item_429_rate: float = 0.0
    throttle: bool = False
    throttle_units_per_10s: int | None = None
    throttle_reports_table: str = DEFAULT_REPORTS_TABLE
    throttle_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.throttle_reports_table not in REPORTS_TABLES:
            raise ValueError(
                "sandbox fault option 'throttle_reports_table' must be one of "
                f"{', '.join(REPORTS_TABLES)}, not {self.throttle_reports_table!r}"
            )
        scale = self.throttle_scale
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(
                "sandbox fault option 'throttle_scale' must be a positive number, "
                f"not {self.throttle_scale!r}"
            )


@dataclass(frozen=True)
class SandboxOptions:
    """Everything that shapes one sandbox tenant. The same options give byte-identical answers."""

    seed: int = 42
    users: int = 250
    groups: int = 40
    devices: int = 300
    sign_ins: int = 2000
    directory_audits: int = 500
    provisioning_events: int = 300
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    token_lifetime_seconds: int = 3600
    device_code_auto_approve: str | None = None
    browser_auto_approve: str | None = None
    cloud: str = "global"
    tenant: str = "contoso"
    faults: FaultOptions = field(default_factory=FaultOptions)

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ValueError(f"sandbox option 'cloud' must be one of {', '.join(CLOUDS)}")
        if not _TENANT_NAME.fullmatch(self.tenant):
            raise ValueError(
                "sandbox option 'tenant' must be a lowercase name of 2 to 30 letters and digits "
                f"(its domains become NAME.com and NAME.onmicrosoft.com), not {self.tenant!r}"
            )

    @property
    def identity(self) -> TenantIdentity:
        """The tenant's names: its domains, tenant id and display name, from ``tenant``."""
        from graph_magic.sandbox.tenant.constants import TenantIdentity  # options load alone

        return TenantIdentity(self.tenant)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SandboxOptions:
        """Build options from a plain dict, refusing unknown keys with their name."""
        data = dict(data or {})
        faults = data.pop("faults", None) or {}
        known = {f.name for f in fields(cls)} - {"faults"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown sandbox option '{unknown[0]}'")
        fault_known = {f.name for f in fields(FaultOptions)}
        unknown = sorted(set(faults) - fault_known)
        if unknown:
            raise ValueError(f"unknown sandbox fault option '{unknown[0]}'")
        return cls(faults=FaultOptions(**faults), **data)
