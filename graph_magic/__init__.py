"""graph-magic: Microsoft Graph in Jupyter (``%load_ext graph_magic``) and as an async client.

In a notebook, ``%load_ext graph_magic`` registers ``%%graph`` / ``%graph``; in a script,
``GraphConnector`` is the same connector as a plain async API. The public names below are
imported on first use, so ``import graph_magic.errors`` (or the sandbox) does not pull in
IPython, pandas or httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.client import GraphConnector
    from graph_magic.connector.config import SystemConfig, find_systems, load_system
    from graph_magic.errors import (
        GraphAPIError,
        GraphAuthError,
        GraphBatchError,
        GraphConfigError,
        GraphMagicError,
        GraphResponseError,
        GraphSecurityError,
        GraphSyntaxError,
        GraphTransportError,
    )
    from graph_magic.notebook.cell import RequestSpec, parse_cell
    from graph_magic.notebook.magic import GraphMagic

__all__ = [
    "GraphAPIError",
    "GraphAuthError",
    "GraphBatchError",
    "GraphConfigError",
    "GraphConnector",
    "GraphMagic",
    "GraphMagicError",
    "GraphResponseError",
    "GraphSecurityError",
    "GraphSyntaxError",
    "GraphTransportError",
    "RequestSpec",
    "SystemConfig",
    "find_systems",
    "load_ipython_extension",
    "load_system",
    "parse_cell",
    "unload_ipython_extension",
]

_LAZY = {
    "GraphConnector": "graph_magic.connector.client",
    "GraphMagic": "graph_magic.notebook.magic",
    "RequestSpec": "graph_magic.notebook.cell",
    "parse_cell": "graph_magic.notebook.cell",
    "SystemConfig": "graph_magic.connector.config",
    "find_systems": "graph_magic.connector.config",
    "load_system": "graph_magic.connector.config",
    **{
        name: "graph_magic.errors"
        for name in (
            "GraphAPIError",
            "GraphAuthError",
            "GraphBatchError",
            "GraphConfigError",
            "GraphMagicError",
            "GraphResponseError",
            "GraphSecurityError",
            "GraphSyntaxError",
            "GraphTransportError",
        )
    },
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graph_magic' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext graph_magic``: register ``GraphMagic``, make it configurable, add Tab completion.

    Errors raised by the magics render short through ``_render_traceback_`` (while
    ``GraphMagic.short_errors`` is on), so a failing cell still fails, without a wall of
    traceback.
    """
    from graph_magic.notebook import completion
    from graph_magic.notebook.magic import GraphMagic

    magic = GraphMagic(shell=ipython)
    ipython.register_magics(magic)
    completion.register(ipython, magic)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext graph_magic``: close the connectors, stop the loop thread, unregister."""
    from graph_magic.notebook import completion, runtime
    from graph_magic.notebook.magic import GraphMagic

    completion.unregister(ipython)
    manager = ipython.magics_manager
    magic = manager.registry.pop(GraphMagic.__name__, None)
    if magic is not None:
        try:
            magic.close()
        finally:
            if magic in ipython.configurables:
                ipython.configurables.remove(magic)
            for kind in ("line", "cell"):
                table = manager.magics[kind]
                if getattr(table.get("graph"), "__self__", None) is magic:
                    del table["graph"]
    runtime.shutdown()
