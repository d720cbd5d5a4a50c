"""Stored guides as they would be on the Python running the tests.

A stored notebook names the Python it was stored with (``language_info.version``, which
JupyterLab fills in from the kernel); a reader on another Python sees that one line change, and
nothing else. Tests of the stored form compare on the running Python's terms.
"""

from __future__ import annotations

import json
import platform


def on_this_python(text: str) -> str:
    """``text`` (a notebook's JSON) with its ``language_info.version`` the running Python's."""
    stored = json.loads(text)["metadata"]["language_info"].get("version")
    current = platform.python_version()
    if stored is None or stored == current:
        return text
    old, new = f'"version": "{stored}"', f'"version": "{current}"'
    assert text.count(old) == 1, "the notebook names its Python version once"
    return text.replace(old, new)
