"""The knowledge package reads nothing at import, and only its own files on first use."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.knowledge.conftest import REPO

PACKAGE = REPO / "graph_magic" / "knowledge"

_PROBE = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: event == "open" and opened.append(str(args[0])))
def data():
    return sorted({p.rsplit("/", 1)[-1] for p in opened if "/knowledge/data/" in p})
import graph_magic.knowledge as k
seen = {"import": data()}
cloud = k.Knowledge.for_cloud("global")
seen["for_cloud"] = data()
cloud.resolve("/users")
seen["resolve"] = data()
cloud.permissions("GET", "/users")
seen["permissions"] = data()
print(json.dumps(seen))
"""


def test_nothing_is_read_until_first_use() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["import"] == seen["for_cloud"] == []
    assert seen["resolve"] == ["schema-v1.0-Prod.json.gz"]
    assert seen["permissions"] == ["permissions.json.gz", "schema-v1.0-Prod.json.gz"]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_the_package_imports_only_the_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    outside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            outside.add((node.module or "").split(".")[0])
    assert outside <= set(sys.stdlib_module_names) | {"__future__"}, path.name
