"""Graph's own doc examples for the directory-core routes, pasted into a cell and sent through
the connector to the sandbox: each answers as the docs show (2xx, the shape they print).

The requests are the v1.0 reference's examples (directoryrole-list-members, group-post-groups,
application-addpassword, ...), with their ``{id}`` placeholders filled with the tenant's ids.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.notebook.cell import parse_cell
from graph_magic.notebook.dry_run import command_config
from graph_magic.sandbox import create_app
from tests.reliability.reliability_kit import app_token, bearer_system
from tests.support.fakes import RecordingSleep

V1 = "https://graph.microsoft.com/v1.0"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"

READS = [
    f"GET {V1}/organization",
    f"GET {V1}/directoryRoles",
    f"GET {V1}/directoryRoles/roleTemplateId={GLOBAL_ADMIN}/members",
    f"GET {V1}/groups/{{group}}/transitiveMembers",
    f"GET {V1}/groups/{{group}}/transitivemembers/microsoft.graph.group?$count=true\n"
    "ConsistencyLevel: eventual",
    f"GET {V1}/groups/{{group}}/owners",
    f"GET {V1}/groups/delta",
    f"GET {V1}/groups/delta?$select=displayName,description,mailNickname",
    f"GET {V1}/applications/delta",
    f"GET {V1}/servicePrincipals/delta",
    f"GET {V1}/applications/{{application}}",
    f"GET {V1}/servicePrincipals/{{sp}}",
]
ACTIONS = [
    f"POST {V1}/directoryObjects/getByIds\nContent-type: application/json\n\n"
    '{"ids":["84b80893874940a3-97b7-68513b600544","5d6059b6368d-45f8-91e18e07d485f1d0"],'
    '"types":["user"]}',
    f"POST {V1}/users/{{user}}/getMemberGroups\nContent-type: application/json\n"
    'Content-length: 33\n\n{\n  "securityEnabledOnly": true\n}',
    f"POST {V1}/groups/{{group}}/checkMemberGroups\nContent-type: application/json\n"
    'Content-length: 44\n\n{\n  "groupIds": [\n    "groupIds-value"\n  ]\n}',
    f"POST {V1}/directoryObjects/{{user}}/getMemberObjects\nContent-type: application/json\n\n"
    '{\n  "securityEnabledOnly": true\n}',
    f"POST {V1}/applications/{{application}}/addPassword\nContent-type: application/json\n\n"
    '{\n  "passwordCredential": {\n    "displayName": "Password friendly name"\n  }\n}',
    f"POST {V1}/groups\nContent-type: application/json\nContent-length: 244\n\n"
    '{\n  "description": "Self help community for library",\n  "displayName": "Library Assist",'
    '\n  "groupTypes": [\n    "Unified"\n  ],\n  "mailEnabled": true,\n  "mailNickname": "library",'
    '\n  "securityEnabled": false\n}',
    f"POST {V1}/groups\nContent-Type: application/json\n\n"
    '{\n  "description": "Group with designated owner and members",\n'
    '  "displayName": "Operations group",\n  "groupTypes": [\n  ],\n  "mailEnabled": false,\n'
    '  "mailNickname": "operations2019",\n  "securityEnabled": true,\n'
    f'  "owners@odata.bind": [\n    "{V1}/users/{{user}}"\n  ],\n'
    f'  "members@odata.bind": [\n    "{V1}/users/{{other}}",\n    "{V1}/users/{{third}}"\n  ]\n}}',
]


@pytest.fixture
def tenant_app() -> Any:
    return create_app()


def filled(cell: str, app: Any) -> str:
    tenant = app.state.tenant
    ids = {
        "group": tenant.groups[0]["id"],
        "application": tenant.applications[0]["id"],
        "sp": tenant.service_principals[0]["id"],
        "user": tenant.users[1]["id"],
        "other": tenant.users[2]["id"],
        "third": tenant.users[3]["id"],
    }
    for name, value in ids.items():
        cell = cell.replace("{" + name + "}", value)
    return cell


async def pasted(app: Any, cell: str) -> dict[str, Any]:
    (spec,) = parse_cell(filled(cell, app))
    system = bearer_system(app_token(app))
    async with GraphConnector(
        system, sleep=RecordingSleep(), transport=httpx.ASGITransport(app)
    ) as connector:
        out = await connector.perform_action("doc", "example", None, command_config(spec))
    return out["response"]


@pytest.mark.parametrize("cell", READS + ACTIONS, ids=lambda c: c.split("\n")[0][len(V1) + 5 :])
async def test_doc_example_answers_2xx(tenant_app: Any, cell: str) -> None:
    answer = await pasted(tenant_app, cell)
    assert 200 <= answer["status_code"] < 300, answer.get("data")


async def test_add_password_as_the_docs_print_it(tenant_app: Any) -> None:
    answer = await pasted(tenant_app, ACTIONS[4])
    assert set(answer["data"]) - {"@odata.context"} == {
        "customKeyIdentifier", "endDateTime", "keyId", "startDateTime", "secretText", "hint",
        "displayName",
    }  # fmt: skip


async def test_membership_actions_answer_lists_of_strings(tenant_app: Any) -> None:
    for cell in ACTIONS[1:4]:
        value = (await pasted(tenant_app, cell))["data"]["value"]
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
