"""The README and docs/ against the code: the example runs as printed, and no list falls behind.

The lists a newcomer reads (shipped systems, sandbox options and `serve` flags, system keys)
are checked against the declarations they describe, so adding a system or an option without a
line in the docs fails here.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from graph_magic.__main__ import build_parser
from graph_magic.connector.auth_types import AUTH_TYPES
from graph_magic.connector.config import Credentials, SystemConfig
from graph_magic.sandbox.options import FaultOptions, SandboxOptions

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SANDBOX_DOC = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The Markdown of one ``## heading`` section, up to the next ``## ``."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def test_the_python_api_example_runs_as_printed_and_prints_what_the_readme_says(
    tmp_path: Path,
) -> None:
    api = section(README, "The Python API")
    (code,) = blocks(api, "python")
    (printed,) = blocks(api[api.index("It prints:") :], "")
    assert "..." not in code
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed


def test_every_shipped_system_has_its_line_in_the_readme() -> None:
    shipped = sorted(p.stem for p in (ROOT / "graph_magic" / "systems").glob("*.yaml"))
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", section(README, "Systems"), flags=re.M)
    assert sorted(listed) == shipped


@pytest.mark.parametrize(
    "option",
    [f.name for f in fields(SandboxOptions)] + [f.name for f in fields(FaultOptions)],
)
def test_every_sandbox_option_is_in_the_sandbox_doc(option: str) -> None:
    assert f"| `{option}` |" in section(SANDBOX_DOC, "Options")


def _serve_flags() -> list[str]:
    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(action.choices)

    serve = subcommands(subcommands(build_parser())["sandbox"])["serve"]
    return [
        flag
        for action in serve._actions
        for flag in action.option_strings
        if flag not in {"-h", "--help", "--faults"}  # --faults is --fault's other spelling
    ]


@pytest.mark.parametrize("flag", _serve_flags())
def test_every_sandbox_serve_flag_is_in_the_sandbox_doc(flag: str) -> None:
    assert f"`{flag}" in section(SANDBOX_DOC, "Options")


@pytest.mark.parametrize(
    "key", sorted({f.name for f in fields(SystemConfig)} - {"name", "source", "credential"})
)
def test_every_system_key_is_in_the_configuration_doc(key: str) -> None:
    assert f"| `{key}` |" in CONFIG_DOC


def _row(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| `{key}` |"))


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_every_auth_type_is_in_the_configuration_doc(auth_type: str) -> None:
    assert f"`{auth_type}`" in _row(CONFIG_DOC, "auth_type")


@pytest.mark.parametrize("key", [f.name for f in fields(Credentials)])
def test_every_credentials_key_is_in_the_configuration_doc(key: str) -> None:
    assert f"`{key}`" in _row(CONFIG_DOC, "credentials")


@pytest.mark.parametrize(
    "page", [ROOT / "README.md", ROOT / "notebooks" / "README.md", *sorted(ROOT.glob("docs/*.md"))]
)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert missing == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    pages = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))
    assert [p for p in pages if f"]({p})" not in README] == []
