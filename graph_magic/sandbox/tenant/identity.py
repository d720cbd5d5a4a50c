"""Another tenant from the same generators: Contoso's seeded data under another tenant's names.

The generators write the default tenant, Contoso. A sandbox with ``tenant: fabrikam`` gets its
own seeded data (its seed) under its own names: every text that names Contoso (its domains,
its tenant id, its display name) is renamed when a collection is made, in one pass here, so a
new generator needs nothing for it. The routes that make new objects, the token service and
the error texts read the tenant's :class:`TenantIdentity` instead of Contoso's constants.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox.tenant.constants import CONTOSO, TenantIdentity


def renamer(identity: TenantIdentity) -> Callable[[Any], Any] | None:
    """A function renaming a made value (dicts, lists, tuples, dataclasses of them) for
    ``identity``; None for Contoso, whose data needs no renaming."""
    if identity == CONTOSO:
        return None
    pairs = (
        (CONTOSO.tenant_id, identity.tenant_id),
        (CONTOSO.name, identity.name),
        (CONTOSO.display_name, identity.display_name),
    )

    def text(value: str) -> str:
        for old, new in pairs:
            if old in value:
                value = value.replace(old, new)
        return value

    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            return {text(k): rename(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(rename(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: rename(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return dataclasses.replace(value, **fields)
        return value

    return rename
