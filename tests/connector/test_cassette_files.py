"""The ``record:`` / ``replay:`` keys and the cassette file: what is refused, and how it says so."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import load_system
from graph_magic.errors import GraphConfigError, GraphReplayError

HEADER = {"graph_magic_cassette": 1, "origin": "https://graph.microsoft.com", "pseudonymised": []}
EXCHANGE = {
    "request": {"method": "GET", "path": "/v1.0/organization", "query": []},
    "response": {"status": 200, "headers": {"content-type": "application/json"},
                 "body": {"json": {"value": [{"id": "org"}]}}},
}  # fmt: skip


def write_cassette(path: Path, *lines: object) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_replay_system_needs_no_credentials_and_resolves_beside_its_file(
    tmp_path: Path,
) -> None:
    write_cassette(tmp_path / "tenant.jsonl", HEADER, EXCHANGE)
    system_file = tmp_path / "tenant.yaml"
    system_file.write_text("replay: tenant.jsonl\n")
    system = load_system(str(system_file), environ={})
    assert system.replay == str((tmp_path / "tenant.jsonl").resolve())

    async def organization() -> object:
        connector = GraphConnector(system)
        try:
            return await connector.perform_action(
                None, None, None, {"method": "GET", "endpoint": "/organization"}
            )
        finally:
            await connector.close()

    result = asyncio.run(organization())
    assert result["response"]["data"]["value"] == [{"id": "org"}]


@pytest.mark.parametrize(
    ("data", "key", "says"),
    [
        ({"replay": "nowhere.jsonl"}, "replay", "no cassette at"),
        ({"replay": ""}, "replay", "expected the path of a cassette"),
        ({"record": {"pseudonymise": ["mail"]}}, "record.path", "needs the cassette's path"),
        ({"record": {"path": "x.jsonl", "pseudonymize": []}}, "record.pseudonymize", "unknown"),
        ({"record": {"path": "x.jsonl", "pseudonymise": 3}}, "record.pseudonymise", "list"),
        ({"record": 7}, "record", "expected a mapping"),
    ],
)
def test_bad_record_and_replay_keys_name_the_key(
    data: dict[str, object], key: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GraphConfigError, match=says) as caught:
        load_system({"token": "t", **data}, environ={})
    assert caught.value.key == key


def test_a_system_cannot_record_and_replay_at_once(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "c.jsonl", HEADER)
    with pytest.raises(GraphConfigError, match="records or replays, not both"):
        load_system({"token": "t", "record": str(cassette), "replay": str(cassette)}, environ={})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not a graph-magic cassette"),
        ('{"graph_magic_cassette": 2}\n', "not a graph-magic cassette"),
        (json.dumps(HEADER) + '\n{"request": {"method": "GET"', "line 2: not JSON"),
        (json.dumps(HEADER) + "\n[1, 2]\n", "line 2: expected a JSON object"),
        (json.dumps(HEADER) + '\n{"request": {"method": "GET"}}\n', "line 2: not an exchange"),
    ],
)
def test_a_broken_cassette_is_named_with_its_line(tmp_path: Path, text: str, says: str) -> None:
    cassette = tmp_path / "broken.jsonl"
    cassette.write_text(text)
    connector = GraphConnector({"replay": str(cassette)})
    request = {"method": "GET", "endpoint": "/organization"}
    with pytest.raises(GraphReplayError, match=says):
        asyncio.run(connector.perform_action(None, None, None, request))
