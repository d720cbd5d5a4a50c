"""System files for a test's shell: one folder, one YAML file per name.

A test module that gives its shell systems of its own overrides the ``graph_magic_systems``
fixture of ``tests/conftest.py`` with the folder this writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def systems_folder(tmp_path: Path, systems: Mapping[str, str]) -> Path:
    """``tmp_path/systems`` holding ``NAME.yaml`` with each system's text."""
    folder = tmp_path / "systems"
    folder.mkdir()
    for name, text in systems.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder
