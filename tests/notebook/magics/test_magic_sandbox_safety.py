"""What must never happen: a value changing a request, a token shown, a dry run that sends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph_magic.errors import GraphAPIError, GraphSyntaxError
from graph_magic.notebook import runtime

HOSTILE = "O'Brien & Co/../me?$top=1\n#x"


def _token(magic: Any) -> str:
    return runtime.run_sync(magic.session.provider("sandbox").get_token())


@pytest.fixture
def no_sending(sandbox: Any, magic: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connector call is recorded and refused."""
    calls: list[str] = []
    for version in ("v1.0", "beta"):
        connector = magic.session.connector("sandbox", version)
        for name in ("iter_pages", "perform_action", "perform_batch"):

            def refuse(*args: Any, _name: str = name, **kwargs: Any) -> Any:
                calls.append(_name)
                raise AssertionError(f"dry run called {_name}")

            monkeypatch.setattr(connector, name, refuse)
    return calls


def test_dry_run_shows_the_request_sends_nothing_and_hides_the_token(
    sandbox: Any, magic: Any, shell: Any, no_sending: list[str]
) -> None:
    shell.user_ns["out"] = "before"
    ran = sandbox(
        "%%graph --dry-run -o out\n"
        "GET /users?$select=displayName\n"
        "$filter: endsWith(mail,'@contoso.com')\n"
        "X-Trace: abc"
    )
    assert not ran.failed, ran.everything
    text = ran.text
    assert text.startswith(
        "GET https://graph.microsoft.com/v1.0/users?$select=displayName"
        "&$filter=endsWith(mail,'%40contoso.com')&$count=true\n"
    ) or text.startswith(
        "GET https://graph.microsoft.com/v1.0/users?$select=displayName"
        "&$filter=endsWith(mail,'@contoso.com')&$count=true\n"
    )
    assert "ConsistencyLevel: eventual" in text  # what the connector will add, shown
    assert "X-Trace: abc" in text
    assert "Authorization: ***" in text
    assert "nothing was sent" in text
    assert _token(magic) not in ran.everything
    assert no_sending == []
    assert shell.user_ns["out"] == "before"


def test_dry_run_of_a_batch_and_masked_extra_headers(sandbox: Any, no_sending: list[str]) -> None:
    sandbox("%config GraphMagic.masked_headers = ['X-Api-Key']")
    ran = sandbox(
        "%%graph --dry-run --beta\n"
        "### a\nGET /me\nX-Api-Key: s3cr3t\n"
        '### b after a\nPATCH /users/x\n\n{"jobTitle": "Boss"}'
    )
    text = ran.text
    assert "### a\nGET https://graph.microsoft.com/beta/me" in text
    assert "### b\nPATCH https://graph.microsoft.com/beta/users/x" in text
    assert "s3cr3t" not in text and "X-Api-Key: ***" in text
    assert '"jobTitle": "Boss"' in text
    assert "2 requests as one $batch" in text
    assert no_sending == []


def test_path_value_stays_one_segment(sandbox: Any, shell: Any, no_sending: list[str]) -> None:
    shell.user_ns["who"] = HOSTILE
    ran = sandbox("%graph --dry-run GET /users/{{who}}/memberOf")
    first = ran.text.splitlines()[0]
    assert first.startswith("GET https://graph.microsoft.com/v1.0/users/")
    assert first.endswith("/memberOf")
    segment = first.removeprefix("GET https://graph.microsoft.com/v1.0/users/").removesuffix(
        "/memberOf"
    )
    assert "/" not in segment and "?" not in segment and "&" not in segment
    assert "\n" not in segment and "#" not in segment


def test_path_traversal_is_a_missing_user_not_me(sandbox: Any, shell: Any) -> None:
    shell.user_ns["who"] = "../me"
    ran = sandbox("%graph GET /users/{{who}}")
    assert isinstance(ran.error, GraphAPIError) and ran.error.status_code in (400, 404)


def test_query_value_is_odata_string_data(sandbox: Any, shell: Any, magic: Any) -> None:
    shell.user_ns["name"] = "O'Brien & Co/..&$top=1"
    ran = sandbox("%%graph -o found\nGET /users\n$filter: displayName eq '{{name}}'")
    assert not ran.failed, ran.everything
    assert len(shell.user_ns["found"]) == 0  # a name nobody has; not a broken query
    sent = magic.session.last[0].url
    query = sent.split("?", 1)[1]
    assert query.count("&") == 0 and query.count("=") == 1  # one parameter: $filter
    assert "O''Brien" in query and "%26$top%3D1" in query


def test_header_value_cannot_add_a_header(sandbox: Any, shell: Any) -> None:
    shell.user_ns["v"] = "x\r\nAuthorization: Bearer stolen"
    ran = sandbox("%%graph\nGET /users\nX-Test: {{v}}")
    assert isinstance(ran.error, GraphSyntaxError)
    assert "line break" in ran.stdout


def test_body_value_stays_a_json_string(sandbox: Any, shell: Any, no_sending: list[str]) -> None:
    shell.user_ns["nick"] = 'a", "accountEnabled": false, "x": "'
    ran = sandbox('%%graph --dry-run\nPOST /groups\n\n{"mailNickname": "{{nick}}", "n": 1}')
    body = ran.text.split("\n\n")[1]
    assert json.loads(body) == {"mailNickname": 'a", "accountEnabled": false, "x": "', "n": 1}
