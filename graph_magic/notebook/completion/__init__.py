"""Tab completion in ``%%graph`` cells and ``%graph`` lines, from Microsoft's Graph metadata.

It runs inside IPython's own completer (a matcher of its API v2), so Tab works wherever an
IPython kernel completes: JupyterLab, Notebook, VS Code and the terminal, with no front-end
extension. ``complete`` is the whole logic as a pure function of the cell's text and cursor,
which tests call without a shell; ``register``/``unregister`` are the thin IPython glue that
``%load_ext``/``%unload_ext`` call.

Where each part lives:

- ``_spot``: where the cursor stands in the cell (request line, ``$option``, header, body).
- ``_values``: what the word in an option's value must be (``$select``, ``$filter``, ...).
- ``_suggest``: the words offered there, from the knowledge (read on the first completion).
- ``_ipython``: the matcher registered on the shell.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from graph_magic.notebook.completion._ipython import MATCHER_ID, register, unregister

if TYPE_CHECKING:
    from graph_magic.notebook.completion._suggest import (
        Completions,
        Suggestion,
        Systems,
        complete,
    )

__all__ = [
    "MATCHER_ID",
    "Completions",
    "Suggestion",
    "Systems",
    "complete",
    "register",
    "unregister",
]

_SUGGEST = frozenset({"Completions", "Suggestion", "Systems", "complete"})


def __getattr__(name: str) -> Any:
    """The completion logic on first use (PEP 562): %load_ext imports only the glue."""
    if name not in _SUGGEST:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("graph_magic.notebook.completion._suggest"), name)
