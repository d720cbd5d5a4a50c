"""The knowledge in the magic: pre-flight warnings, --strict, describe and permissions."""

from __future__ import annotations

from typing import Any

from graph_magic.notebook.errors import GraphUsageError

AUDIT = "GET /auditLogs/signIns"


def test_a_warning_is_a_block_shown_before_sending(sandbox: Any) -> None:
    ran = sandbox("%%graph\nGET /users?$select=displayname2&$top=1")
    assert getattr(ran.error, "status_code", None) == 400  # Graph (and the sandbox) refuse it
    warning = ran.texts()[0]
    assert warning.startswith("warning: $select: microsoft.graph.user has no property")
    assert "did you mean displayName" in warning
    assert "<pre" in ran.htmls()[0]
    assert ran.stderr == ""  # a display block, not a Python warning


def test_the_limited_app_is_warned_then_graph_answers_403(run: Any, magic: Any) -> None:
    assert not run("%graph connect sandbox-limited").failed
    ran = run(f"%%graph\n{AUDIT}")
    assert ran.texts() == [
        "warning: the token's application permissions do not allow GET /auditLogs/signIns: "
        "it needs AuditLog.Read.All"
    ]
    assert getattr(ran.error, "status_code", None) == 403
    assert "The token holds:" in (getattr(ran.error, "hint", "") or "")


def test_strict_makes_the_warning_an_error_and_sends_nothing(run: Any, magic: Any) -> None:
    assert not run("%graph connect sandbox-limited").failed
    sent = len(magic.session.history)
    ran = run(f"%%graph --strict\n{AUDIT}")
    assert isinstance(ran.error, GraphUsageError)
    assert "nothing was sent" in str(ran.error) and "AuditLog.Read.All" in str(ran.error)
    assert len(magic.session.history) == sent
    run("%config GraphMagic.strict = True")
    assert isinstance(run("%graph GET /users?$tpo=1").error, GraphUsageError)
    assert len(magic.session.history) == sent


def test_the_app_with_every_permission_and_beta_are_not_warned(sandbox: Any) -> None:
    ran = sandbox(f"%%graph --max-items 1\n{AUDIT}")
    assert not ran.failed and not ran.text.startswith("warning")
    beta = sandbox("%%graph --beta --dry-run\nGET /users?$tpo=1")
    assert "warning" not in beta.text


def test_describe_and_permissions_through_the_magic(sandbox: Any) -> None:
    described = sandbox("%graph describe /users/{id}/manager")
    assert described.texts()[0].startswith("/users/{id}/manager: microsoft.graph.directoryObject")
    unknown = sandbox("%graph describe displayname2")
    assert isinstance(unknown.error, GraphUsageError)
    needs = sandbox(f"%graph permissions {AUDIT}")
    assert "AuditLog.Read.All" in needs.text
    sandbox("%graph GET /users?$top=1")
    needed = sandbox("%graph permissions")
    assert needed.texts()[0].startswith("Permissions this notebook's requests needed")
    assert "GET /users" in needed.text
    assert isinstance(sandbox("%graph permissions GET").error, GraphUsageError)
