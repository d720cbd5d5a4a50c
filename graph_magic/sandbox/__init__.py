"""The offline Microsoft Graph tenant: a seeded, deterministic ASGI app that speaks real Graph.

``create_app(options)`` builds a fresh tenant; ``shared_app(options)`` returns the process's one
app for those options. See DESIGN.md "The sandbox tenant".
"""

from __future__ import annotations

from graph_magic.sandbox.app import create_app, shared_app
from graph_magic.sandbox.options import FaultOptions, SandboxOptions

__all__ = ["FaultOptions", "SandboxOptions", "create_app", "shared_app"]
