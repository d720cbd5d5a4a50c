"""A 403's hint names what allows the request (the permissions map) and what the token holds."""

from __future__ import annotations

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.hints import hint_for
from graph_magic.errors import GraphAPIError
from tests.support.fakes import RecordingSleep


async def test_the_limited_apps_403_names_the_permission_and_the_tokens_roles() -> None:
    async with GraphConnector("sandbox-limited", sleep=RecordingSleep()) as conn:
        token = await conn.token_provider.get_token()
        with pytest.raises(GraphAPIError) as info:
            await conn.perform_action(
                "log", "list", None, {"method": "GET", "endpoint": "/auditLogs/signIns"}
            )
    hint = info.value.hint or ""
    assert hint.startswith("Reading audit and sign-in logs needs the AuditLog.Read.All permission.")
    assert "Least-privileged permissions that allow it: AuditLog.Read.All" in hint
    held = hint.split("The token holds: ", 1)[1]
    assert "User.Read.All" in held and "AuditLog.Read.All" not in held
    assert token not in hint and token not in str(info.value)


def test_a_request_denied_hint_keeps_its_words_and_adds_the_map() -> None:
    hint = hint_for(
        403, "Authorization_RequestDenied", "Insufficient", "GET", "/groups", ["User.Read.All"]
    )
    assert hint is not None
    assert hint.startswith("The app lacks the permission for this call: grant Group.Read.All")
    assert "Least-privileged permissions that allow it:" in hint
    assert hint.endswith("The token holds: User.Read.All.")


def test_other_statuses_get_no_permission_sentence() -> None:
    owners = hint_for(400, "Request_BadRequest", "x", "GET", "/devices/d/owners", ["A.B"])
    assert owners == "Devices have no 'owners' relationship: use /devices/{id}/registeredOwners."
    assert hint_for(403, "accessDenied", "no", "GET", "/sites/root", ["A.B"]) is None


def test_without_claims_the_hint_names_no_held_permissions() -> None:
    hint = hint_for(403, "Authorization_RequestDenied", "x", "GET", "/v1.0/groups?$top=1")
    assert hint is not None and "Least-privileged" in hint and "token holds" not in hint
