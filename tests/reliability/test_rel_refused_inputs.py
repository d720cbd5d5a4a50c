"""Bad input is refused before anything is sent, with an error that says what and where.

Neighbours of three cases the hostile-input review found: ids that differ only in case in one
``$batch`` cell, a ``..`` placeholder in a connector endpoint, and a ``--csv`` path that cannot
become a file (found only after the whole scan, before).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from graph_magic import GraphSecurityError, GraphSyntaxError, parse_cell
from graph_magic.connector.client import GraphConnector
from tests.connector.connector_kit import make_system
from tests.support.fakes import FakeTokenProvider, RecordingSleep
from tests.support.graph import GRAPH


@pytest.mark.parametrize(
    ("first", "second"), [("a", "A"), ("getUser", "GETUSER"), ("req-1.x", "REQ-1.X")]
)
def test_batch_ids_that_differ_only_in_case_are_a_located_error(first: str, second: str) -> None:
    text = f"### {first}\nGET /me\n### {second}\nGET /users"
    with pytest.raises(GraphSyntaxError) as caught:
        parse_cell(text, {})
    assert (caught.value.line, caught.value.column) == (3, 5)
    assert f"'{second}'" in str(caught.value) and "ignoring case" in str(caught.value)


def test_batch_ids_that_differ_otherwise_still_parse() -> None:
    specs = parse_cell("### a\nGET /me\n### b after a\nGET /users", {})
    assert [(s.id, s.depends_on) for s in specs] == [("a", ()), ("b", ("a",))]


@pytest.mark.parametrize("value", [".", ".."])
@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH"])
async def test_dot_segment_placeholders_are_refused_before_sending(value: str, method: str) -> None:
    connector = GraphConnector(
        make_system(), sleep=RecordingSleep(), token_provider=FakeTokenProvider()
    )
    command: dict[str, Any] = {"method": method, "endpoint": "/users/{id}"}
    if method == "PATCH":
        command["body"] = {"jobTitle": "x"}
    with respx.mock(assert_all_called=False) as router:
        route = router.route().mock(return_value=httpx.Response(204))
        with pytest.raises(GraphSecurityError, match="dot segment") as caught:
            await connector.perform_action("user", method.lower(), {"id": value}, command)
        assert route.call_count == 0
    assert caught.value.url == "/users/{id}"
    await connector.close()


async def test_dots_inside_a_value_are_data() -> None:
    connector = GraphConnector(
        make_system(), sleep=RecordingSleep(), token_provider=FakeTokenProvider()
    )
    with respx.mock(assert_all_called=True) as router:
        route = router.get(f"{GRAPH}/users/a..b").mock(return_value=httpx.Response(200, json={}))
        await connector.perform_action(
            "user", "get", {"id": "a..b"}, {"method": "GET", "endpoint": "/users/{id}"}
        )
    assert route.call_count == 1
    await connector.close()
