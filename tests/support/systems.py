"""System files for a test's shell: one folder, one YAML file per name.

A test module that gives its shell systems of its own overrides the ``graph_magic_systems``
fixture of ``tests/conftest.py`` with the folder this writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


def systems_folder(tmp_path: Path, systems: Mapping[str, str]) -> Path:
    """``tmp_path/systems`` holding ``NAME.yaml`` with each system's text."""
    folder = tmp_path / "systems"
    folder.mkdir()
    for name, text in systems.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def sandbox_system(*, client_secret: str = "sandbox-secret", **sandbox: Any) -> str:
    """A system file's text for a sandbox tenant of its own (``sandbox`` its options: ``seed``,
    ``users``, ``faults``...), signed in as the sandbox's app through real msal.

    Options other than the shared tenant's give a tenant of its own, so a test's writes change
    no other test's tenant; none at all is the shared tenant. ``client_secret`` is the secret
    the app signs in with (a wrong one, to see the sign-in refused).
    """
    system = {
        "auth_type": "azure",
        "transport": "sandbox",
        "token_cache": False,
        "credentials": {
            "tenant_id": "contoso.onmicrosoft.com",
            "client_id": "sandbox-app",
            "client_secret": client_secret,
        },
    }
    if sandbox:
        system["sandbox"] = sandbox
    return yaml.safe_dump(system, sort_keys=False)
