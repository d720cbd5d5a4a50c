"""The offline Microsoft Graph tenant: a seeded, deterministic ASGI app that speaks real Graph.

``create_app(options)`` builds a fresh tenant; ``shared_app(options)`` returns the process's one
app for those options; ``make_server`` serves one on loopback. See DESIGN.md "The sandbox
tenant". The names below are imported on first use (PEP 562), so ``import
graph_magic.sandbox.options`` loads neither starlette nor the tenant.

Inside: ``tenant/`` (the seeded data), ``odata/`` (the collection engine), ``routes/`` (one
module per entity), ``entra/`` (apps, tokens and the OAuth endpoints), and at this level the app,
its HTTP values, Graph's error bodies, the fault injector, the in-process and served entries,
the one token codec (``_signing``) and the one clock (``_clock``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.sandbox.app import create_app, shared_app
    from graph_magic.sandbox.entra.apps import APPS
    from graph_magic.sandbox.entra.tokens import TokenRejected, TokenService
    from graph_magic.sandbox.faults import FaultMiddleware, batch_item_fault
    from graph_magic.sandbox.inprocess import (
        approve_device_code,
        asgi_transport,
        msal_http_client,
    )
    from graph_magic.sandbox.options import FaultOptions, SandboxOptions
    from graph_magic.sandbox.serve import LoopbackHttpClient, make_server, msgraph_sdk_client
    from graph_magic.sandbox.tenant.constants import INITIAL_DOMAIN, TENANT_ID
    from graph_magic.sandbox.tenant.store import Tenant
    from graph_magic.sandbox.throttle import resource_units

_LAZY = {
    "create_app": "graph_magic.sandbox.app",
    "shared_app": "graph_magic.sandbox.app",
    "APPS": "graph_magic.sandbox.entra.apps",
    "TokenRejected": "graph_magic.sandbox.entra.tokens",
    "TokenService": "graph_magic.sandbox.entra.tokens",
    "FaultMiddleware": "graph_magic.sandbox.faults",
    "batch_item_fault": "graph_magic.sandbox.faults",
    "approve_device_code": "graph_magic.sandbox.inprocess",
    "asgi_transport": "graph_magic.sandbox.inprocess",
    "msal_http_client": "graph_magic.sandbox.inprocess",
    "FaultOptions": "graph_magic.sandbox.options",
    "SandboxOptions": "graph_magic.sandbox.options",
    "LoopbackHttpClient": "graph_magic.sandbox.serve",
    "make_server": "graph_magic.sandbox.serve",
    "msgraph_sdk_client": "graph_magic.sandbox.serve",
    "INITIAL_DOMAIN": "graph_magic.sandbox.tenant.constants",
    "TENANT_ID": "graph_magic.sandbox.tenant.constants",
    "Tenant": "graph_magic.sandbox.tenant.store",
    "resource_units": "graph_magic.sandbox.throttle",
}

__all__ = [
    "APPS",
    "INITIAL_DOMAIN",
    "TENANT_ID",
    "FaultMiddleware",
    "FaultOptions",
    "LoopbackHttpClient",
    "SandboxOptions",
    "Tenant",
    "TokenRejected",
    "TokenService",
    "approve_device_code",
    "asgi_transport",
    "batch_item_fault",
    "create_app",
    "make_server",
    "msal_http_client",
    "msgraph_sdk_client",
    "resource_units",
    "shared_app",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graph_magic.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
