"""``%%graph --delta NAME``: a full round first, then only the changes, merged and counted."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from graph_magic.notebook import runtime
from graph_magic.notebook.delta_state import load_state
from tests.support.systems import sandbox_system, systems_folder

CELL = (
    "%%graph --system deltabox --delta people -o people\n"
    "GET /users/delta?$select=displayName,jobTitle"
)


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    """A sandbox of its own, so the writes here change no other test's tenant."""
    return systems_folder(tmp_path, {"deltabox": sandbox_system(seed=77, users=60)})


def _write(magic: Any, method: str, path: str, body: dict | None = None) -> None:
    connector = magic.session.connector("deltabox", "v1.0")
    config = {"method": method, "endpoint": path, "params": {}}
    if body is not None:
        config["body"] = body
    runtime.run_sync(connector.perform_action("users", method.lower(), {}, config))


def test_a_second_run_fetches_and_merges_only_the_changes(
    sandbox: Any, shell: Any, magic: Any
) -> None:
    first = sandbox(CELL)
    assert not first.failed, first.everything
    count = len(shell.user_ns["people"])
    assert count == 60
    assert f"delta people (first run: full scan): {count} added, 0 changed, 0 removed" in first.text
    state = Path(".graph-magic/delta/people.parquet")
    assert pq.read_table(state).num_rows == count

    users = shell.user_ns["people"]
    renamed, removed = users["id"].iloc[0], users["id"].iloc[1]
    _write(magic, "PATCH", f"/users/{renamed}", {"jobTitle": "Chief Delta Officer"})
    _write(magic, "DELETE", f"/users/{removed}")

    second = sandbox(CELL)
    assert not second.failed, second.everything
    assert "(changes since the last run): 0 added, 1 changed, 1 removed" in second.text
    people = shell.user_ns["people"].set_index("id")
    assert len(people) == count - 1 and removed not in people.index
    assert people.loc[renamed, "jobTitle"] == "Chief Delta Officer"
    assert len(load_state(".graph-magic/delta", "people").objects) == count - 1


def test_an_interrupted_or_failed_round_leaves_the_state_as_it_was(
    sandbox: Any, magic: Any, monkeypatch: Any
) -> None:
    assert not sandbox(CELL).failed
    state = Path(".graph-magic/delta/people.parquet")
    before = state.read_bytes()
    from graph_magic.notebook import delta_sync

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(delta_sync, "merge_delta", broken)
    ran = sandbox(CELL)
    assert ran.failed
    assert state.read_bytes() == before
    assert [p.name for p in state.parent.iterdir()] == ["people.parquet"]  # no part left


def test_an_expired_round_is_a_full_resync_said_in_the_result(
    sandbox: Any, magic: Any, monkeypatch: Any
) -> None:
    from graph_magic.sandbox import shared_app
    from graph_magic.sandbox.routes.delta import TOKEN_LIFETIME

    assert not sandbox(CELL).failed
    service = shared_app(magic.session.system("deltabox").sandbox).state.service
    issued = service.fixed_now()
    # The sandbox's clock, eight days on: the stored deltaLink has expired (Graph's 410).
    monkeypatch.setattr(service, "fixed_now", lambda: issued + TOKEN_LIFETIME + 24 * 3600)
    ran = sandbox(CELL)
    assert not ran.failed, ran.everything
    assert re.search(
        r"\(full resync: Graph no longer knows the stored round\): \d+ added, 0 changed, 0 removed",
        ran.text,
    )


def test_what_delta_cannot_do_is_refused_before_sending(sandbox: Any) -> None:
    for cell, text in (
        ("%%graph --delta 'a b'\nGET /users/delta", "--delta needs a name"),
        ("%%graph --delta x --max-items 5\nGET /users/delta", "cannot be used with --max-items"),
        ("%%graph --delta x --csv out.csv\nGET /users/delta", "--csv and --parquet go with"),
        ("%%graph --delta x\nPOST /users\n\n{}", "--delta runs one GET"),
    ):
        ran = sandbox(cell)
        assert ran.failed and text in str(ran.error), (cell, ran.everything)
    assert not os.path.exists(".graph-magic/delta/x.parquet")
