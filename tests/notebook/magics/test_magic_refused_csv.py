"""A --csv path that cannot become a file fails the cell before the scan, with nothing written.

It used to be found only when the finished export was moved into place, after every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph_magic.notebook.errors import GraphUsageError


def test_csv_naming_a_folder_fails_before_the_scan(run: Any, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    ran = run(f"%%graph --csv {folder}\nGET /users")
    assert isinstance(ran.error, GraphUsageError)
    assert "is a folder" in str(ran.error) and "users.csv" in str(ran.error)
    assert list(folder.iterdir()) == []


def test_csv_in_a_missing_folder_fails_before_the_scan(run: Any, tmp_path: Path) -> None:
    ran = run(f"%%graph --csv {tmp_path / 'nowhere' / 'users.csv'}\nGET /users")
    assert isinstance(ran.error, GraphUsageError)
    assert "does not exist" in str(ran.error)
