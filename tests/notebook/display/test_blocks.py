"""The small blocks: render_error's short block for a failed cell, panels, notes, prompts."""

from __future__ import annotations

import pandas as pd

from graph_magic.connector.auth import DeviceCodePrompt
from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphConfigError,
    GraphSyntaxError,
    GraphTransportError,
)
from graph_magic.notebook.display import DryRun, Note, Panel, PromptView, render_error


def test_api_error_block_has_status_code_message_ids_date_hint_and_request():
    exc = GraphAPIError(
        403,
        url="https://graph.microsoft.com/v1.0/auditLogs/signIns",
        method="GET",
        code="Authorization_RequestDenied",
        message="Insufficient privileges to complete the operation.",
        request_id="0b5f-req",
        client_request_id="corr-1",
        date="2026-11-27T15:00:00",
        hint="the app needs AuditLog.Read.All",
    )
    assert render_error(exc).splitlines() == [
        "GraphAPIError: 403 Authorization_RequestDenied",
        "  Insufficient privileges to complete the operation.",
        "  request: GET https://graph.microsoft.com/v1.0/auditLogs/signIns",
        "  request-id: 0b5f-req",
        "  client-request-id: corr-1",
        "  date: 2026-11-27T15:00:00",
        "  hint: the app needs AuditLog.Read.All",
    ]


def test_api_error_without_a_graph_code_uses_the_status_phrase_and_shows_attempts():
    exc = GraphAPIError(503, url="https://graph.microsoft.com/v1.0/users", attempts=4)
    block = render_error(exc)
    assert block.splitlines()[0] == "GraphAPIError: 503 Service Unavailable"
    assert "  attempts: 4" in block.splitlines()


def test_batch_error_names_the_sub_request():
    exc = GraphBatchError(
        404, request_id_in_batch="2", url="/users/x", code="Request_ResourceNotFound"
    )
    block = render_error(exc)
    assert block.startswith("GraphBatchError: 404 Request_ResourceNotFound")
    assert "  batch request id: 2" in block.splitlines()


def test_syntax_error_shows_line_column_and_caret():
    exc = GraphSyntaxError("unknown method", line=2, column=1, source_line="FETCH /users")
    assert render_error(exc).splitlines() == [
        "GraphSyntaxError: line 2, column 1: unknown method",
        "    FETCH /users",
        "    ^",
    ]


def test_config_error_names_key_and_file():
    exc = GraphConfigError("must be a number", key="retry.max_attempts", file="systems/x.yaml")
    assert render_error(exc).splitlines() == [
        "GraphConfigError: must be a number",
        "  key: retry.max_attempts",
        "  file: systems/x.yaml",
    ]


def test_transport_and_other_errors_are_one_line_each():
    exc = GraphTransportError("connect timeout", url="https://example.test/users", attempts=4)
    assert render_error(exc).splitlines()[0] == "GraphTransportError: connect timeout"
    assert render_error(KeyError("x")) == "KeyError: 'x'"


def test_a_subclass_shows_as_its_nearest_parent_with_a_block():
    class ThrottledError(GraphAPIError):
        pass

    exc = ThrottledError(429, url="https://graph.microsoft.com/v1.0/users", code="TooMany")
    assert render_error(exc).splitlines()[0] == "GraphAPIError: 429 TooMany"


def test_items_received_before_the_error_are_named_on_a_last_line():
    exc = GraphTransportError("connection reset", url="https://example.test/users", attempts=1)
    exc.received = pd.DataFrame({"id": ["a", "b", "c"]})  # type: ignore[attr-defined]
    exc.received_pages = 1  # type: ignore[attr-defined]
    assert render_error(exc).splitlines()[-1] == (
        "  received before the error: 3 items in 1 page, kept as a DataFrame in "
        "sys.last_value.received (the -o variable was not changed)"
    )


def test_panel_aligns_its_rows_under_the_header_and_escapes_html():
    panel = Panel("Systems", (("graph", "v1.0"), ("sandbox-long", "beta")), header=("name", "v"))
    assert repr(panel).splitlines() == [
        "Systems",
        "  name          v",
        "  graph         v1.0",
        "  sandbox-long  beta",
    ]
    assert "<th>name</th>" in panel._repr_html_()
    assert "&lt;b&gt;" in Panel("<b>", note="x")._repr_html_()


def test_note_and_dry_run_are_text_and_preformatted_html():
    for block in (Note("GET /users\n<token>"), DryRun("GET /users\n<token>")):
        assert repr(block) == "GET /users\n<token>"
        assert block._repr_html_() == "<pre>GET /users\n&lt;token&gt;</pre>"


def test_prompt_view_shows_the_message_as_text_and_a_link_as_html():
    prompt = DeviceCodePrompt(
        verification_uri="https://microsoft.com/devicelogin",
        user_code="ABCD-1234",
        message="To sign in, use a web browser to open the page and enter ABCD-1234.",
        expires_in=900,
    )
    view = PromptView(prompt)
    assert repr(view) == prompt.message
    assert view._repr_html_() == prompt._repr_html_()
