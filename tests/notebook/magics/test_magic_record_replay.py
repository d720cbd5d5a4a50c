"""``%graph record PATH`` ... ``%graph record stop``, then the same cells on a ``replay:`` system.

What the user sees must be the same on replay, frame for frame; what the cassette holds must
carry nothing secret; a cell the cassette cannot answer must say which request it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_magic.notebook import runtime
from tests.support.cassettes import secrets_in
from tests.support.systems import sandbox_system, systems_folder

RECORDED = sandbox_system(seed=61, users=40)
CELLS = [
    "%%graph -o people\nGET /users?$top=15&$select=id,displayName,mail",
    "%%graph -o sizes\nGET /groups?$count=true&$top=5\nConsistencyLevel: eventual",
    "%%graph -o answers\nPOST /$batch\n\n"
    '{"requests": [{"id": "1", "method": "GET", "url": "/users?$top=3&$select=id"},'
    ' {"id": "2", "method": "GET", "url": "/devices?$top=2&$select=id"}]}',
]


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    replayed = f"replay: {tmp_path / 'session.jsonl'}\n"
    folder = systems_folder(tmp_path, {"recorded": RECORDED})
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "replayed.yaml").write_text(replayed)
    return folder


def _token(magic: Any) -> str:
    return runtime.run_sync(magic.session.provider("recorded").get_token())


def _frames(shell: Any) -> dict[str, Any]:
    return {name: shell.user_ns[name] for name in ("people", "sizes", "answers")}


def test_cells_replay_frame_for_frame_with_no_tenant(
    run: Any, shell: Any, magic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "session.jsonl"
    assert not run("%graph connect recorded").failed
    started = run(f"%graph record {cassette}")
    assert "Recording system 'recorded' into session.jsonl." in started.text
    for cell in CELLS:
        ran = run(cell)
        assert not ran.failed, ran.everything
    live = _frames(shell)
    stopped = run("%graph record stop")
    exchanges = len(cassette.read_text().splitlines()) - 1
    assert f"Recorded {exchanges} exchanges into session.jsonl." in stopped.text
    assert exchanges >= 4  # two pages of users, groups, the batch
    assert secrets_in(cassette, _token(magic)) == []

    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(tmp_path / "later"))
    assert not run("%graph connect replayed").failed
    for cell in CELLS:
        ran = run(cell)
        assert not ran.failed, ran.everything
    for name, frame in _frames(shell).items():
        assert frame.equals(live[name]), name


def test_a_cell_the_cassette_cannot_answer_names_the_request_and_the_closest(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "session.jsonl"
    assert not run("%graph connect recorded").failed
    run(f"%graph record {cassette}")
    assert not run(CELLS[0]).failed
    run("%graph record stop")

    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(tmp_path / "later"))
    assert not run("%graph connect replayed").failed
    ran = run("%%graph\nGET /users?$top=16&$select=id,displayName,mail")
    assert ran.failed
    shown = ran.everything
    assert "no recorded answer" in shown
    assert "GET /v1.0/users?$select=id,displayName,mail&$top=16" in shown
    assert (
        "closest recorded request is GET /v1.0/users?$select=id,displayName,mail&$top=15" in shown
    )
    assert "Traceback" not in shown


def test_pseudonymised_recording_hides_the_real_names(
    run: Any, shell: Any, magic: Any, tmp_path: Path
) -> None:
    cassette = tmp_path / "shared.jsonl"
    assert not run("%graph connect recorded").failed
    ran = run(f"%graph record {cassette} --pseudonymise mail,displayName")
    assert "with fake values for mail, displayName." in ran.text
    assert not run(CELLS[0]).failed
    run("%graph record stop")
    assert secrets_in(cassette, _token(magic)) == []
    text = cassette.read_text()
    people = shell.user_ns["people"]
    assert people["displayName"].map(lambda name: name not in text).all()
    assert people["mail"].dropna().map(lambda mail: mail not in text).all()


def test_stop_without_a_recording_and_record_on_a_replay_say_so(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Nothing was being recorded." in run("%graph record stop").text
    (tmp_path / "session.jsonl").write_text('{"graph_magic_cassette": 1, "origin": ""}\n')
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(tmp_path / "later"))
    ran = run(f"%graph record {tmp_path / 'again.jsonl'} --system replayed")
    assert ran.failed
    assert "replays a cassette; there is nothing to record" in ran.everything
    assert not (tmp_path / "again.jsonl").exists()
