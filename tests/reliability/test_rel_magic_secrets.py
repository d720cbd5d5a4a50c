"""No secret in anything the magic shows: --dry-run, %graph status, history, error blocks, logs.

A real InteractiveShell runs cells against the in-process sandbox (connect, status, dry runs
with a password in the body, results, a 404, a syntax error, a 403, a wrong client secret).
Every byte a user could see (display data of every kind, stdout, stderr) and every log record
at DEBUG is searched for the tokens the session held, JWT-shaped strings, the client secrets
and the password: zero hits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.reliability.reliability_security import magic_scan, run_cell, write_magic_systems


@pytest.fixture
def planted(tmp_path: Path) -> list[str]:
    """The scan's systems, written to ``tmp_path/systems``; the secrets planted in them."""
    return write_magic_systems(tmp_path / "systems")


@pytest.fixture
def graph_magic_systems(tmp_path: Path, planted: list[str]) -> Path:
    """The shell (tests/conftest.py) sees the scan's systems, written by ``planted`` first."""
    return tmp_path / "systems"


def test_nothing_the_magic_shows_holds_a_secret(
    shell: InteractiveShell, planted: list[str]
) -> None:
    outcome = magic_scan(shell, planted)
    assert outcome.extra["unexpected"] == []
    assert any("--> GET" in line for line in outcome.extra["lines"])  # DEBUG logging ran
    assert any("Authorization: ***" in text for text in outcome.extra["outputs"])  # dry run
    assert len(set(outcome.extra["tokens"])) == 3  # loud, limited, and the planted bearer one
    assert outcome.extra["leaks"] == {}
    assert outcome.extra["jwts"] == []


def test_a_pasted_token_is_not_echoed_by_the_error_block(shell: InteractiveShell) -> None:
    token = "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2lnbmF0dXJlLXBhc3RlZA"
    failed, text = run_cell(shell, f"%%graph\nGET /users\nAuthorization: Bearer {token}")
    assert failed and "Authorization header" in text
    assert token not in text
