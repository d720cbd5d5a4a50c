"""A dry run prints what goes on the wire: the same cell, dry and for real, compared byte for byte.

Each cell runs once with ``--dry-run`` and once against a respx Graph; the dry run's method,
URL, headers and body must be the request respx saw, but for the token, the per-send
``client-request-id``, a bodiless request's default Content-Type and the headers httpx adds.
If the notebook ever rebuilt a request by a path of its own, these would part.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig
from graph_magic.notebook.options import RunOptions, Settings
from graph_magic.notebook.run import DryRun, run_cell
from graph_magic.notebook.session import GraphSession
from tests.support.graph import GRAPH

TOKEN = "wire-token-value"
# Headers httpx itself puts on every request, and what the dry run deliberately leaves out.
_NOT_SHOWN = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
_NOT_SHOWN |= {"authorization", "client-request-id"}


class _Token:
    async def get_token(self, *, force_refresh: bool = False) -> str:
        return TOKEN

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "bearer", "signed_in": True}

    async def logout(self) -> None:
        return None


@pytest.fixture
def system_file(tmp_path: Path) -> str:
    path = tmp_path / "wire.yaml"
    path.write_text(f"base_url: {GRAPH}\nauth_type: bearer\ntoken: {TOKEN}\n")
    return str(path)


def _session(shown: list[Any]) -> GraphSession:
    def factory(system: SystemConfig, *, token_provider: Any = None) -> GraphConnector:
        return GraphConnector(system, token_provider=_Token())

    return GraphSession(
        connector_factory=factory, token_provider_factory=lambda s: _Token(), show=shown.append
    )


def _parse(text: str) -> tuple[str, str, dict[str, str], Any]:
    """(method, URL, headers, body) of a one-request dry run's text."""
    head, _, rest = text.partition("\n\n")
    request_line, *header_lines = head.splitlines()
    method, url = request_line.split(" ", 1)
    headers = dict(line.split(": ", 1) for line in header_lines)
    body_text = rest.rpartition("\n\n")[0] if "\n\n" in rest else ""
    return method, url, headers, json.loads(body_text) if body_text else None


CELLS = [
    "GET /users\n$filter: endsWith(mail,'@contoso.com')\n$select: displayName,mail\nX-Trace: abc",
    "GET /users/{{who}}/memberOf?$select=id\n$top: 5",
    "GET /groups\n$filter: groupTypes/any(c:c eq 'Unified')\n$expand: members($select=id)",
    'POST /groups\nX-Trace: t1\n\n{"displayName": "Ünïcode & Co", "mailEnabled": false, "n": 1.5}',
    'PATCH /users/abc\nContent-Type: application/json; charset=utf-8\n\n{"jobTitle": "Boss"}',
    "DELETE /groups/g1",
    "GET /users/$count\nConsistencyLevel: eventual",
]


@pytest.mark.parametrize("cell", CELLS)
def test_the_dry_run_is_the_wire_but_the_token(cell: str, system_file: str) -> None:
    shown: list[Any] = []
    session = _session(shown)
    namespace = {"who": "O'Brien/../me"}
    settings = Settings(progress=False)
    run_cell(session, cell, namespace, RunOptions(system=system_file, dry_run=True), settings)
    (dry,) = [item for item in shown if isinstance(item, DryRun)]
    method, url, headers, body = _parse(dry.text)

    with respx.mock(assert_all_mocked=True) as graph:
        route = graph.route(host="graph.microsoft.com").mock(
            return_value=httpx.Response(200, json={"value": []})
        )
        run_cell(session, cell, namespace, RunOptions(system=system_file, quiet=True), settings)
    sent = route.calls.last.request

    assert sent.method == method
    assert str(sent.url) == str(httpx.URL(url))
    assert sent.headers["authorization"] == f"Bearer {TOKEN}" and headers["Authorization"] == "***"
    wire = {k: v for k, v in sent.headers.items() if k not in _NOT_SHOWN}
    if body is None:
        wire.pop("content-type", None)  # the default every request carries, not shown
    assert wire == {k.lower(): v for k, v in headers.items() if k != "Authorization"}
    if body is None:
        assert sent.content == b""
    else:
        assert json.loads(sent.content) == body
        built = session.connector(system_file).build_request(
            {"method": method, "endpoint": "/x", "body": body}
        )
        assert sent.content == built.content  # the bytes the builder made are the bytes sent
    session.close()


def test_a_batch_dry_run_is_what_the_batch_envelope_carries(system_file: str) -> None:
    cell = (
        "### a\nGET /users\n$filter: endsWith(mail,'@contoso.com')\nX-Trace: abc\n"
        '### b after a\nPATCH /users/x\n\n{"jobTitle": "Boss"}'
    )
    shown: list[Any] = []
    session = _session(shown)
    settings = Settings(progress=False)
    run_cell(session, cell, {}, RunOptions(system=system_file, dry_run=True), settings)
    (dry,) = [item for item in shown if isinstance(item, DryRun)]
    blocks = dry.text.rpartition("\n\n")[0].split("\n\n### ")  # the footer left out
    answers = {"responses": [{"id": "a", "status": 200, "body": {"value": []}}]}
    answers["responses"].append({"id": "b", "status": 204, "body": None})
    with respx.mock(assert_all_mocked=True) as graph:
        route = graph.post(f"{GRAPH}/$batch").mock(return_value=httpx.Response(200, json=answers))
        run_cell(session, cell, {}, RunOptions(system=system_file, quiet=True), settings)
    wire = json.loads(route.calls.last.request.content)["requests"]
    assert len(blocks) == len(wire) == 2
    for block, item in zip(blocks, wire, strict=True):
        item_id, _, text = block.removeprefix("### ").partition("\n")
        method, url, headers, body = _parse(text + "\n\n(footer)")
        assert (item_id, method, url) == (item["id"], item["method"], GRAPH + item["url"])
        assert headers.pop("Authorization") == "***"  # the envelope carries the token
        assert headers == item.get("headers", {}) and body == item.get("body")
    session.close()
