"""What the browser suite needs from the machine, and what is missing of it.

Kept apart from ``lab.py`` (which imports selenium) so the check itself works without them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping

MODULES = ("jupyterlab", "selenium")


def browser_paths(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Chromium and chromedriver: Debian's, or $GRAPH_MAGIC_CHROMIUM / $GRAPH_MAGIC_CHROMEDRIVER."""
    env = os.environ if environ is None else environ
    return (
        env.get("GRAPH_MAGIC_CHROMIUM", "/usr/bin/chromium"),
        env.get("GRAPH_MAGIC_CHROMEDRIVER", "/usr/bin/chromedriver"),
    )


def missing(environ: Mapping[str, str] | None = None, modules: tuple[str, ...] = MODULES) -> str:
    """Why the suite cannot run here ("" when it can): each missing program and package named."""
    absent = [path for path in browser_paths(environ) if not os.access(path, os.X_OK)]
    absent += [name for name in modules if importlib.util.find_spec(name) is None]
    if not absent:
        return ""
    return (
        f"browser tests need {', '.join(absent)} "
        "(apt-get install chromium chromium-driver; pip install -e '.[test]')"
    )
