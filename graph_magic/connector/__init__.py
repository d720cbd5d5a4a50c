"""The async Microsoft Graph client: a plain library for scripts and the notebook alike.

It never imports IPython, ipywidgets, pandas or the notebook package, and only its in-process
transport module reaches the sandbox. Public names are imported on first use (PEP 562), so
``import graph_magic.connector.config`` does not pull in httpx's client or msal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.auth import TokenProvider, make_token_provider
    from graph_magic.connector.client import GraphConnector
    from graph_magic.connector.config import SystemConfig, find_systems, load_system
    from graph_magic.connector.paging import Page, PageSet
    from graph_magic.connector.prepare import PreparedRequest

__all__ = [
    "GraphConnector",
    "Page",
    "PageSet",
    "PreparedRequest",
    "SystemConfig",
    "TokenProvider",
    "find_systems",
    "load_system",
    "make_token_provider",
]

_LAZY = {
    "GraphConnector": "graph_magic.connector.client",
    "Page": "graph_magic.connector.paging",
    "PageSet": "graph_magic.connector.paging",
    "PreparedRequest": "graph_magic.connector.prepare",
    "SystemConfig": "graph_magic.connector.config",
    "find_systems": "graph_magic.connector.config",
    "load_system": "graph_magic.connector.config",
    "TokenProvider": "graph_magic.connector.auth",
    "make_token_provider": "graph_magic.connector.auth",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graph_magic.connector' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
