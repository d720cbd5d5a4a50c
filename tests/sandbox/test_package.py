"""graph_magic.sandbox's public surface: every name in __all__ resolves, lazily (PEP 562)."""

from __future__ import annotations

import subprocess
import sys

import graph_magic.sandbox as sandbox


def test_every_public_name_resolves():
    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None, name


def test_options_load_neither_starlette_nor_the_tenant():
    code = (
        "import sys\n"
        "import graph_magic.sandbox.options\n"
        "loaded = [m for m in sys.modules if m.startswith(('starlette', 'graph_magic.sandbox.'))]\n"
        "print(sorted(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['graph_magic.sandbox.options']"
