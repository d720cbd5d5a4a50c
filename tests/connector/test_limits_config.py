"""A system's ``limits:`` and ``throttle_priority:`` keys: read, or refused by key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_magic.connector.config import load_system
from graph_magic.connector.limits_config import LimitSettings
from graph_magic.errors import GraphConfigError
from graph_magic.knowledge.limits import Budget

BEARER = "auth_type: bearer\ntoken: t\n"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "paced.yaml"
    path.write_text(BEARER + text, encoding="utf-8")
    return load_system(path, environ={}), path


def test_the_keys_are_read(tmp_path: Path) -> None:
    system, _ = _load(
        tmp_path,
        "throttle_priority: low\n"
        "limits:\n  pacing: true\n  reports_table: legacy\n  tenant_size: M\n  scale: 2\n"
        "  budgets:\n    reports: {amount: 100, window: 20}\n",
    )
    assert system.throttle_priority == "Low"
    assert system.limits == LimitSettings(
        pacing=True,
        reports_table="legacy",
        tenant_size="M",
        scale=2.0,
        budgets=(("reports", Budget(100.0, 20.0)),),
    )


def test_the_defaults(tmp_path: Path) -> None:
    system, _ = _load(tmp_path, "")
    assert system.limits == LimitSettings()
    assert system.throttle_priority is None


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("throttle_priority: urgent\n", "throttle_priority", "one of low, normal, high"),
        ("limits: 5\n", "limits", "expected a mapping"),
        ("limits:\n  pace: true\n", "limits.pace", "unknown"),
        ("limits:\n  pacing: maybe\n", "limits.pacing", "expected true or false"),
        ("limits:\n  reports_table: newest\n", "limits.reports_table", "current, legacy"),
        ("limits:\n  tenant_size: XL\n", "limits.tenant_size", "S, M, L"),
        ("limits:\n  scale: 0\n", "limits.scale", "more than 0"),
        (
            "limits:\n  budgets:\n    onenote: {amount: 1, window: 1}\n",
            "limits.budgets.onenote",
            "unknown service family",
        ),
        (
            "limits:\n  budgets:\n    reports: {amount: 5}\n",
            "limits.budgets.reports",
            "needs 'window'",
        ),
        (
            "limits:\n  budgets:\n    reports: {amount: -5, window: 10}\n",
            "limits.budgets.reports.amount",
            "negative",
        ),
        (
            "limits:\n  budgets:\n    reports: {amount: 5, window: 10, per: app}\n",
            "limits.budgets.reports.per",
            "unknown",
        ),
    ],
)
def test_mistakes_are_named_by_key_and_file(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    with pytest.raises(GraphConfigError, match=message) as info:
        _load(tmp_path, text)
    assert info.value.key == key
    assert info.value.file == str(tmp_path / "paced.yaml")
