"""A system's ``limits:`` and ``throttle_priority:`` keys: which of Graph's limits to pace by.

The limits themselves are Graph knowledge (:mod:`graph_magic.knowledge.limits`); a system only
picks among them (the reports table, the tenant's size), scales them, replaces a family's main
budget, or turns pacing on or off. Read once with the rest of the system, each mistake named by
its key and file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from graph_magic.connector.system_files import ConfigReader, join_key
from graph_magic.knowledge.limits import (
    DEFAULT_REPORTS_TABLE,
    FAMILIES,
    REPORTS_TABLES,
    TENANT_SIZES,
    Budget,
    Limits,
    graph_limits,
)

__all__ = ["PRIORITIES", "LimitSettings", "read_limits", "read_priority"]

PRIORITIES = {"low": "Low", "normal": "Normal", "high": "High"}
"""``x-ms-throttle-priority``'s values by the lower-case name a system or a cell gives."""


@dataclass(frozen=True)
class LimitSettings:
    """The ``limits:`` key. ``pacing`` None: on for Graph's own hosts and for an in-process
    sandbox whose throttle is on, off elsewhere (a proxy or a served sandbox: say ``true``)."""

    pacing: bool | None = None
    reports_table: str = DEFAULT_REPORTS_TABLE
    tenant_size: str = "S"
    scale: float = 1.0
    budgets: tuple[tuple[str, Budget], ...] = ()

    def table(self) -> Limits:
        """Graph's limits as these settings pick, scale and override them."""
        return graph_limits(
            reports_table=self.reports_table,
            tenant_size=self.tenant_size,
            scale=self.scale,
            overrides=dict(self.budgets),
        )


_KEYS = frozenset(f.name for f in fields(LimitSettings))


def read_limits(r: ConfigReader, value: Any, key: str) -> LimitSettings:
    """The ``limits:`` mapping, each value checked where it stands."""
    data = r.mapping(value, key)
    r.check_keys(data, _KEYS, key)
    out: dict[str, Any] = {}
    for name, raw in data.items():
        where = join_key(key, name)
        if name == "pacing":
            out[name] = r.boolean(raw, where)
        elif name == "reports_table":
            out[name] = r.choice(raw, where, tuple(REPORTS_TABLES))
        elif name == "tenant_size":
            out[name] = r.choice(raw, where, tuple(TENANT_SIZES))
        elif name == "scale":
            out[name] = _positive(r, raw, where)
        else:
            out[name] = _budgets(r, raw, where)
    return LimitSettings(**out)


def _budgets(r: ConfigReader, value: Any, key: str) -> tuple[tuple[str, Budget], ...]:
    data = r.mapping(value, key)
    budgets = []
    for family, raw in data.items():
        where = join_key(key, str(family))
        if family not in FAMILIES:
            raise r.error(f"unknown service family; one of {', '.join(FAMILIES)}", where)
        entry = r.mapping(raw, where)
        r.check_keys(entry, frozenset({"amount", "window"}), where)
        for part in ("amount", "window"):
            if part not in entry:
                raise r.error(f"needs '{part}' (a budget is an amount per window seconds)", where)
        amount = _positive(r, entry["amount"], join_key(where, "amount"))
        window = _positive(r, entry["window"], join_key(where, "window"))
        main = graph_limits().first(family)
        budgets.append((family, Budget(amount, window, main.counts, main.scope)))
    return tuple(budgets)


def _positive(r: ConfigReader, value: Any, key: str) -> float:
    number = r.number(value, key)
    if not number:
        raise r.error("must be more than 0", key)
    return number


def read_priority(r: ConfigReader, value: Any, key: str) -> str | None:
    """``throttle_priority``: low, normal or high, as Graph spells it on the wire."""
    if value is None:
        return None
    return PRIORITIES[r.choice(value, key, tuple(PRIORITIES))]
