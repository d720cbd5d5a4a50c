"""The connector's one seam to the sandbox: nothing else on the client side imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from graph_magic.connector.config import Timeouts, load_system
from graph_magic.connector.sandbox_transport import SandboxOptionError, parse_options
from graph_magic.sandbox.options import FaultOptions, SandboxOptions

PACKAGE = Path(__file__).resolve().parents[2] / "graph_magic"
SEAM = PACKAGE / "connector" / "sandbox_transport.py"


def _names_sandbox(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        if any(n == "graph_magic.sandbox" or n.startswith("graph_magic.sandbox.") for n in names):
            return True
    return False


def test_only_the_seam_imports_the_sandbox() -> None:
    client_side = [PACKAGE / "errors.py", *sorted((PACKAGE / "connector").rglob("*.py"))]
    client_side += sorted((PACKAGE / "notebook").rglob("*.py"))
    importers = [p.relative_to(PACKAGE).as_posix() for p in client_side if _names_sandbox(p)]
    assert importers == [SEAM.relative_to(PACKAGE).as_posix()]


def test_a_system_holds_its_parsed_sandbox_options() -> None:
    system = load_system(
        {"token": "t", "transport": "sandbox", "sandbox": {"users": 5, "faults": {"burst": 2}}},
        environ={},
    )
    assert system.sandbox == SandboxOptions(users=5, faults=FaultOptions(burst=2))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"sed": 1}, "sed"),
        ({"faults": {"rate_430": 1}}, "faults.rate_430"),
        ({"faults": 3}, "faults"),
    ],
)
def test_an_unknown_option_names_its_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(SandboxOptionError) as info:
        parse_options(data)
    assert info.value.key == key


def test_one_httpx_timeout_from_the_config() -> None:
    timeouts = Timeouts(connect=1.0, read=2.0, write=3.0, pool=None)
    built = timeouts.as_httpx()
    assert (built.connect, built.read, built.write, built.pool) == (1.0, 2.0, 3.0, None)
    assert timeouts.as_httpx(read=9.0).read == 9.0
    assert timeouts.as_httpx(read=9.0).connect == 1.0
