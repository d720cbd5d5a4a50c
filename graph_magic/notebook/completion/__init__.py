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

from graph_magic.notebook.completion._ipython import MATCHER_ID, register, unregister
from graph_magic.notebook.completion._suggest import (
    Completions,
    Suggestion,
    Systems,
    cloud_of,
    complete,
)

__all__ = [
    "MATCHER_ID",
    "Completions",
    "Suggestion",
    "Systems",
    "cloud_of",
    "complete",
    "register",
    "unregister",
]
