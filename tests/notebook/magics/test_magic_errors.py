"""Failing cells fail (so Run All and nbval stop) and read short; short_errors=False shows all."""

from __future__ import annotations

from typing import Any

from graph_magic.errors import GraphAPIError, GraphConfigError, GraphSyntaxError


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert 'File "' not in text
    assert "----> " not in text


def test_graph_error_fails_the_cell_with_status_code_and_hint(sandbox: Any, shell: Any) -> None:
    shell.user_ns["kept"] = "before"
    ran = sandbox("%%graph -o kept --system sandbox-limited\nGET /auditLogs/signIns")
    assert isinstance(ran.error, GraphAPIError)
    text = ran.stdout
    assert "403" in text
    assert ran.error.code and ran.error.code in text
    assert ran.error.hint and ran.error.hint.split()[0] in text
    assert "AuditLog.Read.All" in text
    _no_traceback(text)
    assert shell.user_ns["kept"] == "before"


def test_not_found_names_request_and_code(sandbox: Any) -> None:
    ran = sandbox("%graph GET /users/nobody-here")
    assert isinstance(ran.error, GraphAPIError) and ran.error.status_code == 404
    assert "404" in ran.stdout and "Request_ResourceNotFound" in ran.stdout
    assert "/users/nobody-here" in ran.stdout
    _no_traceback(ran.stdout)


def test_real_graph_the_sandbox_lacks_reads_as_a_sandbox_gap(sandbox: Any) -> None:
    ran = sandbox("%graph GET /sites")
    assert isinstance(ran.error, GraphAPIError) and ran.error.status_code == 501
    assert "The sandbox does not model GET /v1.0/sites" in ran.stdout
    assert "send it to a real tenant (--system NAME; %graph systems lists them)" in ran.stdout
    _no_traceback(ran.stdout)


def test_syntax_error_points_at_the_spot_and_sends_nothing(sandbox: Any, magic: Any) -> None:
    before = len(magic.session.history)
    ran = sandbox('%%graph\nGET /users\n\n{"body": 1}')
    assert isinstance(ran.error, GraphSyntaxError)
    assert "line" in ran.stdout and "^" in ran.stdout
    _no_traceback(ran.stdout)
    assert len(magic.session.history) == before


def test_missing_variable_is_named(sandbox: Any) -> None:
    ran = sandbox("%graph GET /users/{{nobody_defined_this}}")
    assert isinstance(ran.error, GraphSyntaxError)
    assert "nobody_defined_this" in ran.stdout


def test_unknown_system_is_a_config_error(run: Any) -> None:
    ran = run("%graph --system atlantis GET /me")
    assert isinstance(ran.error, GraphConfigError)
    assert "atlantis" in ran.stdout
    _no_traceback(ran.stdout)


def test_bad_option_fails_the_cell_short(run: Any) -> None:
    ran = run("%%graph --max-items lots\nGET /users")
    assert ran.failed
    assert ran.stdout.strip().startswith("UsageError:")
    _no_traceback(ran.stdout)


def test_short_errors_off_shows_the_traceback(sandbox: Any) -> None:
    sandbox("%config GraphMagic.short_errors = False")
    ran = sandbox("%graph GET /users/nobody-here")
    assert isinstance(ran.error, GraphAPIError)
    assert "Traceback" in ran.stdout or "---->" in ran.stdout or "File " in ran.stdout
