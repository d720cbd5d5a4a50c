"""render_error: the short block a failed cell shows instead of a traceback."""

from __future__ import annotations

from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphConfigError,
    GraphSyntaxError,
    GraphTransportError,
)
from graph_magic.notebook.display import render_error


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
